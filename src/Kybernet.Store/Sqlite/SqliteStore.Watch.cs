using System.Runtime.CompilerServices;

namespace Kybernet.Store.Sqlite;

public sealed partial class SqliteStore
{
    private const int WatchBatch = 512;

    public IAsyncEnumerable<WatchEvent> WatchAsync(KeyRange range, long fromRevision, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fromRevision);
        // "From now" is fixed here, not at the first MoveNext: a write made in between is seen.
        var start = fromRevision > 0 ? fromRevision : Volatile.Read(ref _revision) + 1;
        return Watch(range, start, cancellationToken);
    }

    /// <summary>
    /// Reads the log after its own position until caught up, then waits for the next commit; once caught
    /// up it reads new changes from <see cref="RecentChanges"/> rather than the log. Each watcher has its
    /// own position, so they never block one another or the writer.
    /// </summary>
    private async IAsyncEnumerable<WatchEvent> Watch(KeyRange range, long start, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        // The position of the last row delivered (or skipped): everything after it is still to read.
        (long Revision, int Sub) position = (start, -1);
        while (true)
        {
            var committed = _commits.Next; // before reading: a commit after the read wakes us
            // Caught up: new changes come from memory. Behind the window: from the log.
            if (position.Revision < Volatile.Read(ref _compactRevision))
                throw new CompactedException(position.Revision, Volatile.Read(ref _compactRevision));
            if (!_recent.TryRead(range, position, WatchBatch, out var changes, out var current))
            {
                (changes, current) = await Read((connection, transaction) =>
                {
                    var (current, compacted) = LogReader.Revisions(connection, transaction);
                    // Rows below the compact revision may be gone: refuse rather than skip events.
                    if (position.Revision < compacted)
                        throw new CompactedException(position.Revision, compacted);
                    return (LogReader.Changes(connection, transaction, range, position.Revision, position.Sub, WatchBatch), current);
                }, cancel.Token).ConfigureAwait(false);
            }

            foreach (var (revision, sub, change) in changes)
            {
                position = (revision, sub);
                yield return change;
            }
            if (changes.Count == WatchBatch)
                continue;
            // Caught up with the snapshot: skip the rest of it (other keys' rows).
            if (position.Revision <= current)
                position = (current + 1, -1);
            await committed.WaitAsync(cancel.Token).ConfigureAwait(false);
        }
    }
}
