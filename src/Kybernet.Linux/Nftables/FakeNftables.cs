namespace Kybernet.Linux.Nftables;

/// <summary>
/// A stateful <see cref="INftables"/> for tests of code that keeps nftables state (a proxier's partial syncs, a
/// plugin's add and delete), like knftables' Fake: each transaction is applied to a modelled ruleset, all or nothing,
/// with nft's semantics and errors (add, create, insert, flush and delete of tables, chains, rules, sets, maps and
/// elements; a delete of something missing, a create of something existing, a chain or set still referenced, a base
/// chain re-added with another hook or priority), and <see cref="ListTable"/> answers as <see cref="NftCli"/> does,
/// handles included. Tests then assert on the resulting state, or on <see cref="Dump"/>, instead of on the text of
/// the transactions that led there. Checked against the real nft by running the same transactions through both.
/// <para>
/// What it does not do: compile nft syntax. Rule text, element keys and values are kept as written, so a typo that
/// nft would refuse passes here, and a rule's <see cref="NftRuleState.Expressions"/> is its text as one JSON string
/// (the real listing gives nft's expression tree). Write keys and values the way nft prints them ("tcp", not "6")
/// for listings to read the same. Interval sets do not merge or split ranges.
/// </para>
/// It also records applied transactions (<see cref="Transactions"/>) and can fail the next one (<see cref="FailNextApply"/>).
/// </summary>
public sealed class FakeNftables(string name = "fake nftables") : INftables
{
    private readonly Lock _lock = new();
    private readonly List<NftTransaction> _transactions = [];
    private FakeRuleset _ruleset = new();
    private Exception? _nextFailure;

    /// <summary>How error messages name this fake, where NftCli's say "netns NAME".</summary>
    public string Name { get; } = name;

    /// <summary>The transactions that were applied, oldest first, as they were when applied (refused ones are not).</summary>
    public IReadOnlyList<NftTransaction> Transactions
    {
        get { lock (_lock) return _transactions.ToList(); }
    }

    public NftTransaction? Last
    {
        get { lock (_lock) return _transactions.Count == 0 ? null : _transactions[^1]; }
    }

    /// <summary>Makes the next Apply throw this exception and change nothing, as a refused transaction would.</summary>
    public void FailNextApply(Exception failure)
    {
        lock (_lock) _nextFailure = failure;
    }

    /// <summary>
    /// Applies every command or none. A refused one is an <see cref="NftablesException"/> whose message has nft's
    /// shape: "/dev/stdin:LINE: Error: Could not process rule: No such file or directory" and the command.
    /// </summary>
    public void Apply(NftTransaction transaction)
    {
        if (transaction.IsEmpty)
            return; // NftCli runs no nft for it either
        lock (_lock)
        {
            if (_nextFailure is { } failure)
            {
                _nextFailure = null;
                throw failure;
            }
            var attempt = _ruleset.Clone();
            (int Line, FakeNftError Error)? firstInKernel = null, firstInNft = null;
            for (int i = 0; i < transaction.Commands.Count; i++)
            {
                // Like the kernel, go on after an error: later commands still take handles before the batch is undone.
                try { attempt.Execute(transaction.Commands[i]); }
                catch (FakeNftError e) when (e.InKernel) { firstInKernel ??= (i + 1, e); }
                catch (FakeNftError e) { firstInNft ??= (i + 1, e); }
            }
            if ((firstInNft ?? firstInKernel) is var (line, error))
            {
                if (firstInNft is null)
                    _ruleset.KeepHandleCountersOf(attempt); // nft's own refusals send nothing to the kernel
                throw new NftablesException($"apply nftables transaction ({transaction.Summary}) in {Name}",
                    $"/dev/stdin:{line}: Error: {(error.InKernel ? "Could not process rule: " : "")}{error.Message}\n{transaction.Commands[line - 1].Text}");
            }
            _ruleset = attempt;
            _transactions.Add(transaction.Snapshot());
        }
    }

    public NftTableState? ListTable(NftFamily family, string name)
    {
        NftSyntax.Name(name, "table name");
        lock (_lock)
            return _ruleset.Table(family, name)?.ToState();
    }

    /// <summary>The table as <see cref="Dump"/> writes it (not nft's own listing format, which only nft can print).</summary>
    public string? ListTableText(NftFamily family, string name)
    {
        NftSyntax.Name(name, "table name");
        lock (_lock)
            return _ruleset.Table(family, name) is { } table ? Script([table]).Render() : null;
    }

    /// <summary>
    /// The whole ruleset as an nft script that builds it from nothing, in a fixed order: per table (by family, then
    /// name) the table, its chains and sets by name, each chain's rules in order, and each set's elements by key. Two
    /// fakes that hold the same ruleset dump the same text, whatever transactions brought them there; handles are not
    /// part of it.
    /// </summary>
    public string Dump()
    {
        lock (_lock)
            return Script(_ruleset.Tables).Render();
    }

    private static NftTransaction Script(IEnumerable<FakeTable> tables)
    {
        var script = new NftTransaction();
        foreach (var table in tables)
        {
            var chains = table.Chains.OrderBy(c => c.Definition.Name, StringComparer.Ordinal).ToList();
            var sets = table.Sets.OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
            script.Add(table.Definition);
            chains.ForEach(c => script.Add(c.Definition));
            sets.ForEach(s => script.Add(s.Definition));
            chains.ForEach(c => c.Rules.ForEach(r => script.Add(r.Definition)));
            sets.ForEach(s => s.Elements.Values.ToList().ForEach(e => script.Add(e.Definition)));
        }
        return script;
    }
}
