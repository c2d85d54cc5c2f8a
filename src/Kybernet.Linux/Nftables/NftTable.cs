namespace Kybernet.Linux.Nftables;

/// <summary>A table: the unit a component owns ("ip kube-proxy"), holding its chains, sets and maps.</summary>
public sealed record NftTable(NftFamily Family, string Name) : NftObject
{
    public string? Comment { get; init; }

    public override NftObjectKind Kind => NftObjectKind.Table;

    /// <summary>"ip kube-proxy": how every command names this table.</summary>
    internal string Spec => $"{Family.ToNft()} {NftSyntax.Name(Name, "table name")}";

    internal override string Render(NftVerb verb) => verb switch
    {
        NftVerb.Add or NftVerb.Create when Comment is not null => $"{NftSyntax.Lower(verb)} table {Spec} {{ comment {NftSyntax.Comment(Comment, "table comment")} ; }}",
        NftVerb.Add or NftVerb.Create => $"{NftSyntax.Lower(verb)} table {Spec}",
        NftVerb.Flush or NftVerb.Delete => $"{NftSyntax.Lower(verb)} table {Spec}",
        _ => throw Unsupported(verb),
    };
}
