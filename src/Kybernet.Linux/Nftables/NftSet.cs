namespace Kybernet.Linux.Nftables;

/// <summary>A named set matched with "@name"; <see cref="Type"/> may concatenate types ("ipv4_addr . inet_service").</summary>
public sealed record NftSet(NftTable Table, string Name, string Type) : NftObject
{
    /// <summary>Set flags such as "interval", "timeout", "constant".</summary>
    public IReadOnlyList<string> Flags { get; init; } = [];
    public string? Comment { get; init; }

    public override NftObjectKind Kind => NftObjectKind.Set;

    internal string Spec => $"{Table.Spec} {NftSyntax.Name(Name, "set name")}";

    internal override string Render(NftVerb verb) => verb switch
    {
        NftVerb.Add or NftVerb.Create => $"{NftSyntax.Lower(verb)} set {Spec} {NftSetBody.Render($"type {NftSyntax.DataType(Type, "set type")}", Flags, Comment, "set")}",
        NftVerb.Flush or NftVerb.Delete => $"{NftSyntax.Lower(verb)} set {Spec}",
        _ => throw Unsupported(verb),
    };
}

/// <summary>The "{ type ... ; flags ... ; comment ... ; }" block sets and maps share.</summary>
internal static class NftSetBody
{
    public static string Render(string type, IReadOnlyList<string> flags, string? comment, string kind)
    {
        var statements = new List<string> { type };
        if (flags.Count > 0)
            statements.Add($"flags {string.Join(",", flags.Select(f => NftSyntax.Word(f, $"{kind} flag")))}");
        if (comment is not null)
            statements.Add($"comment {NftSyntax.Comment(comment, $"{kind} comment")}");
        return $"{{ {string.Join(" ; ", statements)} ; }}";
    }
}
