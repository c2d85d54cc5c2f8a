using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Kybernet.Store.Sqlite;

/// <summary>
/// Group commit: writers queue their transactions and one loop runs whatever is queued as one SQLite transaction,
/// each write in a savepoint of its own, so concurrent writers share one commit (one fsync) instead of each paying
/// for theirs. Nothing waits for company: a lone write is taken as soon as it is queued, and the writes queued while
/// a batch commits form the next batch.
/// </summary>
public sealed partial class SqliteStore
{
    // Bounds how long one batch keeps its first writer waiting and how much one transaction holds.
    private const int MaxBatch = 256;
    private const string WriteSavepoint = "write";

    private readonly Channel<QueuedWrite> _queue = Channel.CreateUnbounded<QueuedWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly List<QueuedWrite> _batch = new(MaxBatch);
    private readonly Task _writerLoop;

    /// <summary>How many writes and commits the writer loop has made (batching shows as more writes than commits).</summary>
    public GroupCommitCounters GroupCommits { get; } = new();

    /// <summary>
    /// Queues <paramref name="write"/> to run at the next revision (if it changes anything) and returns its result
    /// with the store's revision after it, once the batch holding it is committed and its watchers can see it.
    /// (Internal, not private: tests queue writes of their own to hold the loop while a batch queues.)
    /// </summary>
    internal Task<(T Result, long Revision)> Write<T>(Func<LogWriter, T> write, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
            return Task.FromCanceled<(T, long)>(cancellationToken);
        var queued = new QueuedWrite<T>(write, cancellationToken);
        if (!_queue.Writer.TryWrite(queued))
            return Task.FromException<(T, long)>(new ObjectDisposedException(ToString()));
        return queued.Task;
    }

    private async Task RunWriterLoopAsync()
    {
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            _batch.Clear();
            while (_batch.Count < MaxBatch && _queue.Reader.TryRead(out var queued))
            {
                if (queued.TryStart()) // a write its caller cancelled while queued is dropped
                    _batch.Add(queued);
            }
            if (_batch.Count == 0)
                continue;
            await _writeLock.WaitAsync().ConfigureAwait(false); // compaction takes the writer too
            try
            {
                CommitBatch(_batch);
            }
            finally
            {
                _writeLock.Release();
            }
        }
    }

    /// <summary>
    /// Runs the batch in one transaction, commits it, then publishes its changes in revision order and settles each
    /// write. A write that throws rolls back only its savepoint; a failed commit fails every write of the batch.
    /// </summary>
    private void CommitBatch(List<QueuedWrite> batch)
    {
        long revision;
        try
        {
            revision = RunAndCommit(batch);
        }
        catch (Exception e)
        {
            // Nothing of the batch is committed (the transaction rolled back when disposed): every write fails.
            _log.LogError(e, "committing a batch of {Count} writes in {Directory} failed: {Error}", batch.Count, _dataDirectory, e.Message);
            foreach (var write in batch)
                write.Fail(e);
            return;
        }
        GroupCommits.Count(batch.Count);

        // Committed: make it visible (the revision, then the window watchers read, then wake them), then answer.
        Volatile.Write(ref _revision, revision);
        var changed = false;
        foreach (var write in batch)
        {
            if (write.Log is { } log)
            {
                _recent.Append(log.Revision, log.Changes);
                changed = true;
            }
        }
        if (changed)
            _commits.Publish();
        foreach (var write in batch)
        {
            if (write.Error is { } error)
                write.Fail(error);
            else
                write.Succeed();
        }
    }

    /// <returns>The store's revision after the batch.</returns>
    private long RunAndCommit(List<QueuedWrite> batch)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var revision = _revision;
        using var transaction = _writer.BeginTransaction();
        foreach (var write in batch)
        {
            transaction.Save(WriteSavepoint);
            var log = new LogWriter(_writer, transaction, revision + 1);
            try
            {
                write.Run(log);
            }
            catch (Exception e)
            {
                // Its own failure: undo what it did and keep the others. (Had SQLite itself dropped the whole
                // transaction, this rollback would throw, and the batch fail.)
                transaction.Rollback(WriteSavepoint);
                transaction.Release(WriteSavepoint);
                write.Error = e;
                write.Revision = revision;
                continue;
            }
            transaction.Release(WriteSavepoint);
            if (log.Changed)
            {
                revision = log.Revision;
                write.Log = log;
            }
            write.Revision = revision;
        }
        if (revision != _revision)
            SetMeta(transaction, "revision", revision);
        transaction.Commit(); // also when no revision was made: lease-table changes
        return revision;
    }
}
