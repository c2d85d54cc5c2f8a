namespace Kybernet.Store;

/// <summary>
/// A revisioned key-value store with etcd v3's semantics, the only thing the API server and the
/// overlay's subnet manager need from storage:
/// <list type="bullet">
/// <item>one global revision, incremented by each successful write (a transaction is one revision);</item>
/// <item>per key: create revision, mod revision, version, lease;</item>
/// <item>reads at the current revision or at an older one not yet compacted;</item>
/// <item>watches from a revision: every change with mod revision >= it, in order, then live ones;
/// a revision below the compacted one is refused with <see cref="CompactedException"/>;</item>
/// <item>leases: keys attached to a lease are deleted (with delete events) when it expires or is revoked.</item>
/// </list>
/// Implementations: <c>Sqlite.SqliteStore</c> (embedded, the default) and <c>Etcd.EtcdStore</c>.
/// Both pass one contract suite.
/// </summary>
public interface IKeyValueStore : IAsyncDisposable
{
    /// <summary>The current revision (of the last write).</summary>
    Task<long> CurrentRevisionAsync(CancellationToken cancellationToken = default);

    /// <summary>Keys in <paramref name="range"/> in key order, at <paramref name="revision"/> (0: current), at most <paramref name="limit"/> (0: all).</summary>
    Task<RangeResult> RangeAsync(KeyRange range, long revision = 0, long limit = 0, CancellationToken cancellationToken = default);

    Task<TxnResult> TxnAsync(Txn txn, CancellationToken cancellationToken = default);

    /// <summary>
    /// Changes in <paramref name="range"/> from <paramref name="fromRevision"/> (0: from now on), in
    /// revision order. Ends when cancelled. Throws <see cref="CompactedException"/> (at the first
    /// MoveNext) if <paramref name="fromRevision"/> was compacted away.
    /// </summary>
    IAsyncEnumerable<WatchEvent> WatchAsync(KeyRange range, long fromRevision, CancellationToken cancellationToken = default);

    /// <summary>Forgets history older than <paramref name="revision"/>; reads and watches below it are refused.</summary>
    Task CompactAsync(long revision, CancellationToken cancellationToken = default);

    /// <summary>A new lease that expires <paramref name="ttlSeconds"/> after its last keep-alive.</summary>
    Task<long> GrantLeaseAsync(long ttlSeconds, CancellationToken cancellationToken = default);

    /// <summary>Restarts the lease's TTL; returns the TTL, or throws <see cref="LeaseNotFoundException"/>.</summary>
    Task<long> KeepAliveAsync(long leaseId, CancellationToken cancellationToken = default);

    /// <summary>Ends the lease now and deletes its keys. Unknown leases are ignored.</summary>
    Task RevokeLeaseAsync(long leaseId, CancellationToken cancellationToken = default);
}

/// <summary>A range read: the keys found (up to the limit), how many matched in all, and the revision read at.</summary>
public sealed record RangeResult(IReadOnlyList<KeyValue> Kvs, long Count, long Revision, bool More);

/// <summary>The requested revision was compacted; <see cref="CompactRevision"/> is the oldest one still kept.</summary>
public sealed class CompactedException(long requested, long compactRevision)
    : Exception($"revision {requested} has been compacted (oldest kept: {compactRevision})")
{
    public long Requested { get; } = requested;
    public long CompactRevision { get; } = compactRevision;
}

/// <summary>A revision in the future was asked for.</summary>
public sealed class FutureRevisionException(long requested, long current)
    : Exception($"revision {requested} is newer than the current revision {current}")
{
    public long Requested { get; } = requested;
    public long Current { get; } = current;
}

public sealed class LeaseNotFoundException(long leaseId) : Exception($"lease {leaseId:x} not found")
{
    public long LeaseId { get; } = leaseId;
}
