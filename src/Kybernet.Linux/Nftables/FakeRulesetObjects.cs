using System.Text.Json;
using System.Text.RegularExpressions;

namespace Kybernet.Linux.Nftables;

/// <summary>
/// A refused command in <see cref="FakeRuleset"/>. <see cref="InKernel"/> tells where nft would have found the fault:
/// in the kernel, which reports "Could not process rule: ERRNO" after it has seen the whole batch (and counted the
/// handles it allocated on the way), or in nft's own evaluation, which sends nothing.
/// </summary>
internal sealed class FakeNftError(bool inKernel, string message) : Exception(message)
{
    public bool InKernel { get; } = inKernel;

    public static FakeNftError Kernel(string strerror) => new(true, strerror);
    public static FakeNftError Nft(string message) => new(false, message);

    public const string NoSuchFile = "No such file or directory";
    public const string Exists = "File exists";
    public const string Busy = "Device or resource busy";
    public const string NotSupported = "Operation not supported";
    public const string Invalid = "Invalid argument";
}

/// <summary>A table of the modelled ruleset, with its own handle counter (the kernel's is per table, shared by chains, sets and rules).</summary>
internal sealed class FakeTable(NftTable definition, ulong handle)
{
    public NftTable Definition { get; } = definition;
    public ulong Handle { get; } = handle;
    public ulong LastHandle { get; set; }
    public List<FakeChain> Chains { get; private init; } = [];

    /// <summary>Sets and maps together, in creation order: the kernel keeps them in one list, under one namespace of names.</summary>
    public List<FakeSet> Sets { get; private init; } = [];

    public ulong NextHandle() => ++LastHandle;

    public FakeChain? Chain(string name) => Chains.Find(c => c.Definition.Name == name);
    public FakeSet? Set(string name) => Sets.Find(s => s.Name == name);

    public FakeTable Clone() => new(Definition, Handle)
    {
        LastHandle = LastHandle,
        Chains = Chains.Select(c => c.Clone()).ToList(),
        Sets = Sets.Select(s => s.Clone()).ToList(),
    };

    /// <summary>Rules anywhere in the table and map elements that jump or go to <paramref name="chain"/>, other than its own rules.</summary>
    public bool IsReferenced(FakeChain chain) =>
        Chains.Any(c => c != chain && c.Rules.Any(r => r.Jumps.Contains(chain.Definition.Name)))
        || Sets.Any(s => s.Elements.Values.Any(e => e.Jump == chain.Definition.Name));

    public NftTableState ToState() => new(
        Definition.Family, Definition.Name, Handle,
        Chains.Select(c => c.ToState()).ToList(),
        Sets.Where(s => !s.IsMap).Select(s => s.ToState()).ToList(),
        Sets.Where(s => s.IsMap).Select(s => s.ToState()).ToList());
}

internal sealed class FakeChain(NftChain definition, ulong handle, int? priority)
{
    /// <summary>As first added; a later add of the same base chain may change only its policy.</summary>
    public NftChain Definition { get; set; } = definition;
    public ulong Handle { get; } = handle;

    /// <summary>The base chain's priority as a number ("dstnat" is -100 on ip).</summary>
    public int? Priority { get; } = priority;

    public List<FakeRule> Rules { get; private init; } = [];

    public FakeChain Clone() => new(Definition, Handle, Priority) { Rules = [.. Rules] };

    public NftChainState ToState() => new(
        Definition.Name, Handle,
        Definition.Type is { } type ? NftSyntax.Lower(type) : null,
        Definition.Hook is { } hook ? NftSyntax.Lower(hook) : null,
        Priority,
        Definition.IsBaseChain ? NftSyntax.Lower(Definition.Policy ?? NftPolicy.Accept) : null,
        Rules.Select(r => r.ToState()).ToList());
}

/// <summary>A rule as written, with what it refers to: chains it jumps or goes to, sets and maps it names with '@'.</summary>
internal sealed partial record FakeRule(ulong Handle, NftRule Definition)
{
    public IReadOnlyList<string> Jumps { get; } = Verdicts(Definition.Text);
    public IReadOnlyList<string> SetReferences { get; } = SetReferencesIn(Definition.Text);

    /// <summary>The fake does not compile nft syntax: a rule's "expressions" are its text, as one JSON string.</summary>
    public NftRuleState ToState()
    {
        using var document = JsonDocument.Parse($"\"{JsonEncodedText.Encode(Definition.Text.Trim())}\"");
        return new NftRuleState(Handle, Definition.Comment, document.RootElement.Clone());
    }

    /// <summary>Chains named by "jump X" / "goto X" in a rule or in a verdict map element's value.</summary>
    public static IReadOnlyList<string> Verdicts(string? text) =>
        text is null ? [] : Verdict().Matches(text).Select(m => m.Groups[2].Value).ToList();

    /// <summary>Sets and maps named with '@' ("ip daddr @cluster-ips").</summary>
    public static IReadOnlyList<string> SetReferencesIn(string text) =>
        SetReference().Matches(text).Select(m => m.Groups[1].Value).ToList();

    /// <summary>
    /// How many anonymous sets nft makes for the rule's "{ ... }" groups (each takes a handle before the rule's):
    /// one per map literal ("vmap { ... }"), one per set literal of two or more elements (nft turns "{ x }" into "x").
    /// </summary>
    public static int AnonymousSets(string text)
    {
        int count = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] != '{')
                continue;
            int depth = 1, j = i + 1;
            bool severalElements = false;
            for (; j < text.Length && depth > 0; j++)
            {
                if (text[j] == '{') depth++;
                else if (text[j] == '}') depth--;
                else if (text[j] == ',' && depth == 1) severalElements = true;
            }
            var before = text[..i].TrimEnd();
            if (severalElements || before.EndsWith(" map", StringComparison.Ordinal) || before.EndsWith("vmap", StringComparison.Ordinal))
                count++;
            i = j - 1;
        }
        return count;
    }

    [GeneratedRegex(@"(?<![\w-])(jump|goto)\s+""?([A-Za-z_][A-Za-z0-9_./-]*)")]
    private static partial Regex Verdict();

    [GeneratedRegex(@"@([A-Za-z_][A-Za-z0-9_./-]*)")]
    private static partial Regex SetReference();
}

/// <summary>A set or map: its type as declared and its elements by key (kept sorted, so listings and dumps are deterministic).</summary>
internal sealed class FakeSet
{
    /// <summary>nft lists set flags in this order, whatever order they were declared in.</summary>
    private static readonly string[] FlagOrder = ["constant", "interval", "timeout", "dynamic"];

    public FakeSet(NftObject definition, ulong handle)
    {
        Definition = definition;
        Handle = handle;
        (Name, KeyType, ValueType, Flags, Comment) = definition switch
        {
            NftSet s => (s.Name, NftSyntax.DataType(s.Type, "set type"), (string?)null, s.Flags, s.Comment),
            NftMap m => (m.Name, NftSyntax.DataType(m.KeyType, "map key type"), NftSyntax.DataType(m.ValueType, "map value type"), m.Flags, m.Comment),
            _ => throw new ArgumentException($"not a set or map: {definition}", nameof(definition)),
        };
        Flags = Flags.Distinct().OrderBy(f => Array.IndexOf(FlagOrder, f) is var i and >= 0 ? i : FlagOrder.Length).ToList();
    }

    public NftObject Definition { get; }
    public ulong Handle { get; }
    public string Name { get; }
    public string KeyType { get; }
    public string? ValueType { get; }
    public IReadOnlyList<string> Flags { get; }
    public string? Comment { get; }
    public bool IsMap => ValueType is not null;
    public SortedDictionary<string, FakeElement> Elements { get; private init; } = new(StringComparer.Ordinal);

    /// <summary>Another declaration of the same name describes this very set (an add of it changes nothing).</summary>
    public bool SameShape(FakeSet other) =>
        IsMap == other.IsMap && KeyType == other.KeyType && ValueType == other.ValueType && Flags.SequenceEqual(other.Flags);

    public FakeSet Clone() => new(Definition, Handle) { Elements = new(Elements, StringComparer.Ordinal) };

    public NftSetState ToState() => new(Name, Handle, KeyType, ValueType, Flags, Comment,
        Elements.Values.Select(e => new NftElementState(e.Key, e.Value, e.Definition.Comment)).ToList());
}

/// <summary>An element by its key text ("10.96.0.1 . tcp . 443"), with the chain its verdict names, if any.</summary>
internal sealed record FakeElement(NftElement Definition)
{
    public string Key { get; } = KeyOf(Definition);
    public string? Value { get; } = Definition.Value is { } v ? string.Join(' ', v.Split(' ', StringSplitOptions.RemoveEmptyEntries)) : null;
    public string? Jump { get; } = FakeRule.Verdicts(Definition.Value).FirstOrDefault();

    public static string KeyOf(NftElement element) => string.Join(" . ", element.Key.Select(part => part.Trim()));
}
