using Microsoft.Extensions.Logging;

namespace Kybernet.Store.Sqlite;

public sealed partial class SqliteStore
{
    private static readonly TimeSpan LeaseCheckInterval = TimeSpan.FromMilliseconds(250);

    public async Task<long> GrantLeaseAsync(long ttlSeconds, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ttlSeconds);
        var (id, _) = await Write(log =>
        {
            // Random positive ids like etcd's, so an id is never reused after a revoke.
            long id;
            do
                id = Random.Shared.NextInt64(1, long.MaxValue);
            while (!LeaseTable.TryInsert(_writer, log.Transaction, id, ttlSeconds));
            return id;
        }, cancellationToken).ConfigureAwait(false);
        return id;
    }

    public async Task<long> KeepAliveAsync(long leaseId, CancellationToken cancellationToken = default)
    {
        var (ttl, _) = await Write(log => LeaseTable.Refresh(_writer, log.Transaction, leaseId), cancellationToken).ConfigureAwait(false);
        return ttl ?? throw new LeaseNotFoundException(leaseId);
    }

    public Task RevokeLeaseAsync(long leaseId, CancellationToken cancellationToken = default) =>
        Write(log => Revoke(log, leaseId), cancellationToken);

    /// <summary>Deletes the lease and its keys, all at one revision (none if it had no keys).</summary>
    private bool Revoke(LogWriter log, long leaseId)
    {
        foreach (var key in LogReader.KeysOfLease(_writer, log.Transaction, leaseId))
            log.Delete(KeyRange.Single(KeyBytes.Decode(key)));
        return LeaseTable.Delete(_writer, log.Transaction, leaseId);
    }

    /// <summary>Revokes expired leases, each in a transaction of its own, until the store is disposed.</summary>
    private async Task ExpireLeasesAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(LeaseCheckInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                try
                {
                    // Looked for on a reader, so the writer is taken only when something expired.
                    var expired = await Read(LeaseTable.Expired, stopping).ConfigureAwait(false);
                    foreach (var id in expired)
                    {
                        // Checked again inside the write: a keep-alive may have come in between.
                        await Write(log => LeaseTable.IsExpired(_writer, log.Transaction, id) && Revoke(log, id), stopping).ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The next tick tries again; until then the expired keys stay (a lease lives a little longer).
                    _log.LogError(e, "revoking expired leases in {Directory} failed (retrying in {Interval} ms)", _dataDirectory, LeaseCheckInterval.TotalMilliseconds);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }
}
