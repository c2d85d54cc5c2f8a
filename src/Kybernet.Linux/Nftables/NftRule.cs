namespace Kybernet.Linux.Nftables;

/// <summary>
/// A rule: <see cref="Text"/> is nft's own rule syntax ("ip daddr 10.96.0.1 tcp dport 443 jump svc-a").
/// Deleting a rule needs its <see cref="Handle"/> (from a listing); Text is not needed then.
/// </summary>
public sealed record NftRule(NftChain Chain, string Text) : NftObject
{
    public string? Comment { get; init; }
    public ulong? Handle { get; init; }

    public override NftObjectKind Kind => NftObjectKind.Rule;

    internal override string Render(NftVerb verb) => verb switch
    {
        NftVerb.Add or NftVerb.Insert when Handle is not null =>
            throw new ArgumentException("nftables rule handles are only used to delete rules", nameof(Handle)),
        NftVerb.Add or NftVerb.Insert =>
            $"{NftSyntax.Lower(verb)} rule {Chain.Spec} {NftSyntax.Expression(Text, "rule text")}{CommentSuffix(Comment, "rule comment")}",
        NftVerb.Delete when Handle is { } handle => $"delete rule {Chain.Spec} handle {handle}",
        NftVerb.Delete => throw new ArgumentException("deleting an nftables rule needs its handle", nameof(Handle)),
        _ => throw Unsupported(verb),
    };
}
