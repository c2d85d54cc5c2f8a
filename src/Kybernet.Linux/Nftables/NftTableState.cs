using System.Text.Json;

namespace Kybernet.Linux.Nftables;

/// <summary>A table as the kernel holds it, read back with `nft -j list table`.</summary>
public sealed record NftTableState(
    NftFamily Family,
    string Name,
    ulong Handle,
    IReadOnlyList<NftChainState> Chains,
    IReadOnlyList<NftSetState> Sets,
    IReadOnlyList<NftSetState> Maps)
{
    public NftChainState? FindChain(string name) => Chains.FirstOrDefault(c => c.Name == name);
    public NftSetState? FindSet(string name) => Sets.FirstOrDefault(s => s.Name == name);
    public NftSetState? FindMap(string name) => Maps.FirstOrDefault(m => m.Name == name);
}

/// <summary>A chain and its rules in order. Hook, Type, Priority and Policy are set for base chains only.</summary>
public sealed record NftChainState(
    string Name,
    ulong Handle,
    string? Type,
    string? Hook,
    int? Priority,
    string? Policy,
    IReadOnlyList<NftRuleState> Rules);

/// <summary>
/// A rule as nft reports it in JSON: its handle (needed to delete it), its comment, and its
/// expressions as nft's JSON array, e.g. [{"jump":{"target":"services"}}].
/// </summary>
public sealed record NftRuleState(ulong Handle, string? Comment, JsonElement Expressions)
{
    public string ExpressionsJson => Expressions.GetRawText();
}

/// <summary>
/// A set or map. Types are rendered as in nft's language ("ipv4_addr . inet_proto . inet_service");
/// ValueType is null for sets and "verdict" for verdict maps.
/// </summary>
public sealed record NftSetState(
    string Name,
    ulong Handle,
    string KeyType,
    string? ValueType,
    IReadOnlyList<string> Flags,
    string? Comment,
    IReadOnlyList<NftElementState> Elements)
{
    public bool IsMap => ValueType is not null;
}

/// <summary>
/// An element in nft's text form: Key "10.96.0.1 . tcp . 443" or "10.0.0.0/8", Value "goto svc-a"
/// (null in sets). The kernel does not keep element order, so neither does this list.
/// </summary>
public sealed record NftElementState(string Key, string? Value, string? Comment);
