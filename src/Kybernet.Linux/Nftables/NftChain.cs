namespace Kybernet.Linux.Nftables;

/// <summary>
/// A chain. With <see cref="Hook"/> set it is a base chain that the kernel feeds packets to (then
/// <see cref="Type"/> and <see cref="Priority"/> are required); without, a regular chain reached by jump/goto.
/// </summary>
public sealed record NftChain(NftTable Table, string Name) : NftObject
{
    public NftChainType? Type { get; init; }
    public NftHook? Hook { get; init; }

    /// <summary>A number, a standard name ("dstnat", "filter"), or a name with an offset ("srcnat + 10").</summary>
    public string? Priority { get; init; }

    public NftPolicy? Policy { get; init; }
    public string? Comment { get; init; }

    public bool IsBaseChain => Hook is not null;

    public override NftObjectKind Kind => NftObjectKind.Chain;

    internal string Spec => $"{Table.Spec} {NftSyntax.Name(Name, "chain name")}";

    internal override string Render(NftVerb verb) => verb switch
    {
        NftVerb.Add or NftVerb.Create => $"{NftSyntax.Lower(verb)} chain {Spec}{Body()}",
        NftVerb.Flush or NftVerb.Delete => $"{NftSyntax.Lower(verb)} chain {Spec}",
        _ => throw Unsupported(verb),
    };

    private string Body()
    {
        var statements = new List<string>();
        if (Hook is { } hook)
        {
            if (Type is not { } type)
                throw new ArgumentException($"nftables base chain {Name} needs a type", nameof(Type));
            if (Priority is null)
                throw new ArgumentException($"nftables base chain {Name} needs a priority", nameof(Priority));
            statements.Add($"type {NftSyntax.Lower(type)} hook {NftSyntax.Lower(hook)} priority {NftSyntax.Priority(Priority, "chain priority")}");
            if (Policy is { } policy)
                statements.Add($"policy {NftSyntax.Lower(policy)}");
        }
        else if (Type is not null || Priority is not null || Policy is not null)
        {
            throw new ArgumentException($"nftables chain {Name} has a type, priority or policy but no hook", nameof(Hook));
        }
        if (Comment is not null)
            statements.Add($"comment {NftSyntax.Comment(Comment, "chain comment")}");
        return statements.Count == 0 ? "" : $" {{ {string.Join(" ; ", statements)} ; }}";
    }
}
