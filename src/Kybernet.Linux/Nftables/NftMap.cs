namespace Kybernet.Linux.Nftables;

/// <summary>
/// A named map from <see cref="KeyType"/> to <see cref="ValueType"/>. A "verdict" map (used with
/// "vmap @name") sends each key to a verdict such as "goto svc-a".
/// </summary>
public sealed record NftMap(NftTable Table, string Name, string KeyType, string ValueType) : NftObject
{
    public IReadOnlyList<string> Flags { get; init; } = [];
    public string? Comment { get; init; }

    public override NftObjectKind Kind => NftObjectKind.Map;

    internal string Spec => $"{Table.Spec} {NftSyntax.Name(Name, "map name")}";

    internal override string Render(NftVerb verb) => verb switch
    {
        NftVerb.Add or NftVerb.Create => $"{NftSyntax.Lower(verb)} map {Spec} {NftSetBody.Render(
            $"type {NftSyntax.DataType(KeyType, "map key type")} : {NftSyntax.DataType(ValueType, "map value type")}", Flags, Comment, "map")}",
        NftVerb.Flush or NftVerb.Delete => $"{NftSyntax.Lower(verb)} map {Spec}",
        _ => throw Unsupported(verb),
    };
}
