namespace Kybernet.Linux.Nftables;

/// <summary>
/// A fake <see cref="INftables"/> for testing pure code (a proxier, say): it records each applied
/// transaction in order and lists whatever the test tells it to. It can also fail the next Apply,
/// to test recovery.
/// </summary>
public sealed class RecordingNftables : INftables
{
    private readonly Lock _lock = new();
    private readonly List<NftTransaction> _transactions = [];
    private Exception? _nextFailure;

    /// <summary>The applied transactions, oldest first, as they were when applied.</summary>
    public IReadOnlyList<NftTransaction> Transactions
    {
        get { lock (_lock) return _transactions.ToList(); }
    }

    public NftTransaction? Last
    {
        get { lock (_lock) return _transactions.Count == 0 ? null : _transactions[^1]; }
    }

    /// <summary>What <see cref="ListTable"/> returns; by default, no table.</summary>
    public Func<NftFamily, string, NftTableState?> TableListing { get; set; } = (_, _) => null;

    /// <summary>What <see cref="ListTableText"/> returns; by default, no table.</summary>
    public Func<NftFamily, string, string?> TableTextListing { get; set; } = (_, _) => null;

    /// <summary>Makes the next Apply throw this exception and record nothing, as a refused transaction would.</summary>
    public void FailNextApply(Exception failure)
    {
        lock (_lock) _nextFailure = failure;
    }

    public void Apply(NftTransaction transaction)
    {
        lock (_lock)
        {
            if (_nextFailure is { } failure)
            {
                _nextFailure = null;
                throw failure;
            }
            _transactions.Add(transaction.Snapshot());
        }
    }

    public NftTableState? ListTable(NftFamily family, string name) => TableListing(family, name);

    public string? ListTableText(NftFamily family, string name) => TableTextListing(family, name);
}
