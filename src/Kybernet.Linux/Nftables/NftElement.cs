namespace Kybernet.Linux.Nftables;

/// <summary>
/// One element of a set or map. <see cref="Key"/> holds one part per concatenated type
/// (["10.96.0.1", "tcp", "443"] for "ipv4_addr . inet_proto . inet_service"). Map elements carry a
/// <see cref="Value"/> ("goto svc-a" in a verdict map); deleting needs only the key.
/// </summary>
public sealed record NftElement : NftObject
{
    public NftElement(NftSet set, params IReadOnlyList<string> key)
    {
        Table = set.Table;
        SetName = set.Name;
        Key = key;
    }

    public NftElement(NftMap map, IReadOnlyList<string> key, string? value)
    {
        Table = map.Table;
        SetName = map.Name;
        Key = key;
        Value = value;
        InMap = true;
    }

    public NftTable Table { get; init; }

    /// <summary>The name of the set or map the element belongs to.</summary>
    public string SetName { get; init; }

    public IReadOnlyList<string> Key { get; init; }
    public string? Value { get; init; }
    public string? Comment { get; init; }
    public bool InMap { get; }

    public override NftObjectKind Kind => NftObjectKind.Element;

    internal override string Render(NftVerb verb) => verb switch
    {
        NftVerb.Add or NftVerb.Create when InMap && Value is null => throw new ArgumentException($"nftables map {SetName} element needs a value", nameof(Value)),
        NftVerb.Add or NftVerb.Create when !InMap && Value is not null => throw new ArgumentException($"nftables set {SetName} element cannot have a value", nameof(Value)),
        NftVerb.Add or NftVerb.Create => $"{NftSyntax.Lower(verb)} element {Target} {{ {RenderKey()}{CommentSuffix(Comment, "element comment")}{RenderValue()} }}",
        // nft matches elements by key alone; a comment or value here would be a syntax error.
        NftVerb.Delete => $"delete element {Target} {{ {RenderKey()} }}",
        _ => throw Unsupported(verb),
    };

    private string Target => $"{Table.Spec} {NftSyntax.Name(SetName, InMap ? "map name" : "set name")}";

    private string RenderKey()
    {
        if (Key.Count == 0)
            throw new ArgumentException($"nftables element of {SetName} has an empty key", nameof(Key));
        return string.Join(" . ", Key.Select(part => NftSyntax.ElementPart(part, "element key")));
    }

    private string RenderValue() => InMap ? $" : {NftSyntax.ElementPart(Value, "element value")}" : "";
}
