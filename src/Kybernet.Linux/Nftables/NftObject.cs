namespace Kybernet.Linux.Nftables;

/// <summary>
/// Something a transaction can add, flush or delete. Each object renders its own command line; the
/// transaction renders it the moment it is added, so invalid input fails at the caller's line.
/// </summary>
public abstract record NftObject
{
    private protected NftObject() { }

    public abstract NftObjectKind Kind { get; }

    /// <summary>The full command, e.g. "add chain ip kube-proxy services". Throws ArgumentException for invalid fields.</summary>
    internal abstract string Render(NftVerb verb);

    private protected ArgumentException Unsupported(NftVerb verb) =>
        new($"nftables cannot {NftSyntax.Lower(verb)} a {NftSyntax.Lower(Kind)}", nameof(verb));

    /// <summary>" comment \"...\"" or nothing.</summary>
    private protected static string CommentSuffix(string? comment, string field) =>
        comment is null ? "" : $" comment {NftSyntax.Comment(comment, field)}";
}
