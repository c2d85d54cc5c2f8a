using System.Text.Json.Nodes;

namespace Kybernet.Api.Selectors;

/// <summary>
/// A field selector (<c>?fieldSelector=</c>): <c>f=v</c>, <c>f==v</c>, <c>f!=v</c> terms ANDed,
/// values escaped with <c>\,</c> <c>\=</c> <c>\\</c>. No whitespace is trimmed (as in Kubernetes).
/// </summary>
public sealed class FieldSelector
{
    private FieldSelector(IReadOnlyList<FieldRequirement> requirements) => Requirements = requirements;

    public static FieldSelector Everything { get; } = new([]);

    public IReadOnlyList<FieldRequirement> Requirements { get; }

    public bool IsEverything => Requirements.Count == 0;

    /// <summary>
    /// Kubernetes' parser: terms split on unescaped commas and sorted, empty terms skipped, each
    /// split at its first <c>!=</c>, <c>==</c> or <c>=</c>. Throws <see cref="SelectorException"/>.
    /// </summary>
    public static FieldSelector Parse(string text)
    {
        var terms = FieldSelectorEscaping.SplitTerms(text);
        terms.Sort(StringComparer.Ordinal);
        var requirements = new List<FieldRequirement>();
        foreach (var term in terms)
        {
            if (term.Length == 0)
                continue;
            var (field, op, raw) = SplitTerm(term)
                ?? throw new SelectorException($"invalid selector: '{text}'; can't understand '{term}'");
            requirements.Add(new FieldRequirement(field, FieldSelectorEscaping.Unescape(raw), op == "!="));
        }
        return requirements.Count == 0 ? Everything : new FieldSelector(requirements);
    }

    /// <summary>True when every term holds; <paramref name="fieldValue"/> returns null (read as "") for a missing field.</summary>
    public bool Matches(Func<string, string?> fieldValue)
    {
        foreach (var requirement in Requirements)
            if (!requirement.Matches(fieldValue))
                return false;
        return true;
    }

    /// <summary>
    /// Matches an object of <paramref name="kind"/> using <see cref="SelectableFields"/>; a field
    /// the kind cannot be selected by throws <see cref="SelectorException"/>
    /// ("field label not supported: x").
    /// </summary>
    public bool Matches(JsonObject obj, string kind)
    {
        EnsureSupported(kind);
        return Matches(field => SelectableFields.Read(obj, kind, field));
    }

    /// <summary>Checks every field against the kind before any object is read (for a list request).</summary>
    public void EnsureSupported(string kind)
    {
        foreach (var requirement in Requirements)
            SelectableFields.EnsureSupported(kind, requirement.Field);
    }

    /// <summary>The value the selector requires <paramref name="field"/> to equal, if it does (e.g. metadata.name for a single-object watch).</summary>
    public string? RequiresExactMatch(string field) =>
        Requirements.FirstOrDefault(r => r.Field == field && !r.Negated)?.Value;

    /// <summary>The canonical form: terms in parse order, <c>==</c> written as <c>=</c>, values escaped.</summary>
    public override string ToString() => string.Join(",", Requirements);

    private static (string Field, string Op, string Raw)? SplitTerm(string term)
    {
        for (var i = 0; i < term.Length; i++)
            foreach (var op in (ReadOnlySpan<string>)["!=", "==", "="])
                if (string.CompareOrdinal(term, i, op, 0, op.Length) == 0)
                    return (term[..i], op, term[(i + op.Length)..]);
        return null;
    }
}
