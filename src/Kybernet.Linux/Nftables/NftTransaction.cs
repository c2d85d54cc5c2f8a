using System.Text;

namespace Kybernet.Linux.Nftables;

/// <summary>
/// An ordered list of nftables commands that is applied all-or-nothing: nft loads the whole script
/// as one kernel batch, so either every command takes effect or none does. Pure: it only renders text.
/// Objects are checked when added, so a bad name throws ArgumentException at the caller's line.
/// </summary>
public sealed class NftTransaction
{
    private readonly List<NftCommand> _commands = [];

    public IReadOnlyList<NftCommand> Commands => _commands;

    public bool IsEmpty => _commands.Count == 0;

    /// <summary>Creates the object, or keeps an existing one; a rule is appended to its chain.</summary>
    public NftTransaction Add(NftObject target) => Append(NftVerb.Add, target);

    /// <summary>Creates the object; unlike <see cref="Add"/>, nft fails the whole transaction if it exists already. Not for rules.</summary>
    public NftTransaction Create(NftObject target) => Append(NftVerb.Create, target);

    /// <summary>Puts the rule first in its chain.</summary>
    public NftTransaction Insert(NftRule rule) => Append(NftVerb.Insert, rule);

    public NftTransaction Flush(NftTable table) => Append(NftVerb.Flush, table);
    public NftTransaction Flush(NftChain chain) => Append(NftVerb.Flush, chain);
    public NftTransaction Flush(NftSet set) => Append(NftVerb.Flush, set);
    public NftTransaction Flush(NftMap map) => Append(NftVerb.Flush, map);

    /// <summary>
    /// Removes the object. nft fails the whole transaction if it is missing; to delete something
    /// that may not exist, Add it first in the same transaction.
    /// </summary>
    public NftTransaction Delete(NftObject target) => Append(NftVerb.Delete, target);

    /// <summary>How many commands touch objects of this kind.</summary>
    public int Count(NftObjectKind kind) => _commands.Count(c => c.Object.Kind == kind);

    /// <summary>"1 table, 3 chains, 5 rules" — what error messages and logs say about the transaction.</summary>
    public string Summary
    {
        get
        {
            var parts = Enum.GetValues<NftObjectKind>()
                .Select(kind => (kind, count: Count(kind)))
                .Where(x => x.count > 0)
                .Select(x => $"{x.count} {NftSyntax.Lower(x.kind)}{(x.count == 1 ? "" : "s")}");
            var summary = string.Join(", ", parts);
            return summary.Length == 0 ? "empty" : summary;
        }
    }

    /// <summary>The script for `nft -f -`: one command per line, in the order they were added.</summary>
    public string Render()
    {
        var script = new StringBuilder();
        foreach (var command in _commands)
            script.Append(command.Text).Append('\n');
        return script.ToString();
    }

    public override string ToString() => Render();

    /// <summary>A copy that later additions to this transaction do not change.</summary>
    public NftTransaction Snapshot()
    {
        var copy = new NftTransaction();
        copy._commands.AddRange(_commands);
        return copy;
    }

    private NftTransaction Append(NftVerb verb, NftObject target)
    {
        ArgumentNullException.ThrowIfNull(target);
        _commands.Add(new NftCommand(verb, target));
        return this;
    }
}
