using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Store.Sqlite;

/// <summary>
/// <see cref="IKeyValueStore"/> in one SQLite file (WAL, synchronous=FULL), the embedded default.
/// One process owns a data directory (a lock file says so). Writes are serialized in the process on
/// one connection by one writer loop that commits concurrent writers' transactions together (group commit,
/// in SqliteStore.GroupCommit.cs); reads use pooled read-only connections,
/// each in a snapshot, so they never wait for the writer. The log layout is in <see cref="SqliteSchema"/>.
/// </summary>
public sealed partial class SqliteStore : IKeyValueStore
{
    private readonly string _dataDirectory;
    private readonly FileStream _ownership;
    private readonly SqliteConnection _writer;
    private readonly ReadConnections _readers;
    private readonly SemaphoreSlim _writeLock = new(1, 1); // guards _writer, _revision's writes, _compactRevision: the writer loop and compaction take it
    private readonly CommitSignal _commits = new();
    private readonly RecentChanges _recent;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _leaseExpiry;
    private readonly ILogger _log;
    private long _revision;
    private long _compactRevision;
    private bool _disposed;

    private SqliteStore(string dataDirectory, FileStream ownership, SqliteConnection writer, ReadConnections readers, ILogger log)
    {
        _log = log;
        _dataDirectory = dataDirectory;
        _ownership = ownership;
        _writer = writer;
        _readers = readers;
        using (var transaction = _writer.BeginTransaction())
        {
            (_revision, _compactRevision) = LogReader.Revisions(_writer, transaction);
            LeaseTable.RefreshAll(_writer, transaction);
            transaction.Commit();
        }
        _recent = new RecentChanges(_revision);
        _writerLoop = Task.Run(RunWriterLoopAsync);
        _leaseExpiry = ExpireLeasesAsync(_stopping.Token);
    }

    /// <summary>Opens (creating if needed) the store in <paramref name="dataDirectory"/>; background failures (lease expiry) go to <paramref name="log"/>.</summary>
    public static SqliteStore Open(string dataDirectory, ILogger? log = null)
    {
        Directory.CreateDirectory(dataDirectory);
        FileStream ownership;
        try
        {
            // FileShare.None takes an advisory lock: a second process would corrupt nothing on disk,
            // but its revisions would interleave with ours.
            ownership = new FileStream(Path.Combine(dataDirectory, "lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException($"open store in {dataDirectory}: another process holds it ({e.Message})", e);
        }

        var path = Path.Combine(dataDirectory, SqliteSchema.FileName);
        var writer = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false, // held open for the store's lifetime
        }.ToString());
        try
        {
            writer.Open();
            SqliteSchema.Initialize(writer);
            return new SqliteStore(dataDirectory, ownership, writer, new ReadConnections(path), log ?? NullLogger.Instance);
        }
        catch (Exception e)
        {
            writer.Dispose();
            ownership.Dispose();
            throw new IOException($"open store {path}: {e.Message}", e);
        }
    }

    public Task<long> CurrentRevisionAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Task.FromResult(Volatile.Read(ref _revision));
    }

    public Task<RangeResult> RangeAsync(KeyRange range, long revision = 0, long limit = 0, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(revision);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return Read((connection, transaction) =>
        {
            var (current, compacted) = LogReader.Revisions(connection, transaction);
            if (revision > current)
                throw new FutureRevisionException(revision, current);
            if (revision > 0 && revision < compacted)
                throw new CompactedException(revision, compacted);
            var at = revision > 0 ? revision : current;
            var kvs = LogReader.Range(connection, transaction, range, at, limit);
            var count = limit > 0 && kvs.Count == limit ? LogReader.Count(connection, transaction, range, at) : kvs.Count;
            return new RangeResult(kvs, count, at, count > kvs.Count);
        }, cancellationToken);
    }

    public async Task<TxnResult> TxnAsync(Txn txn, CancellationToken cancellationToken = default)
    {
        TxnValidation.Check(txn);
        var ((succeeded, results), revision) = await Write(log =>
        {
            var succeeded = txn.Compares.All(compare => Holds(compare, log));
            var results = new List<TxnOpResult>();
            foreach (var op in succeeded ? txn.Success : txn.Failure)
            {
                results.Add(op switch
                {
                    TxnOp.Put put => new TxnOpResult.Put(log.Put(put.Key, put.Value, put.Lease)),
                    TxnOp.Delete delete => new TxnOpResult.Delete(log.Delete(delete.Range)),
                    TxnOp.Get get => new TxnOpResult.Get(log.Get(get.Range)),
                    _ => throw new ArgumentException($"txn: unknown op {op}"),
                });
            }
            return (succeeded, results);
        }, cancellationToken).ConfigureAwait(false);
        return new TxnResult(succeeded, revision, results);
    }

    public async Task CompactAsync(long revision, CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (revision > _revision)
                throw new FutureRevisionException(revision, _revision);
            if (revision <= _compactRevision)
                throw new CompactedException(revision, _compactRevision);
            using var transaction = _writer.BeginTransaction();
            // Drop what no read at >= revision and no watch from >= revision needs: rows superseded
            // before it, and tombstones before it. A row superseded at or after it stays: the
            // superseding event's PrevKv points at it.
            using (var command = LogReader.Command(_writer, transaction, """
                DELETE FROM log WHERE revision < $rev AND (deleted = 1 OR EXISTS (
                    SELECT 1 FROM log AS n WHERE n.key = log.key AND n.revision > log.revision AND n.revision < $rev))
                """))
            {
                command.Parameters.AddWithValue("$rev", revision);
                command.ExecuteNonQuery();
            }
            SetMeta(transaction, "compact_revision", revision);
            transaction.Commit();
            Volatile.Write(ref _compactRevision, revision);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
            return;
        _stopping.Cancel(); // ends the lease loop and every watch
        await _leaseExpiry.ConfigureAwait(false);
        _queue.Writer.TryComplete(); // writes queued by now still run; later ones are refused
        await _writerLoop.ConfigureAwait(false);
        await _writeLock.WaitAsync().ConfigureAwait(false); // lets a running compaction finish
        try
        {
            _disposed = true;
            _writer.Dispose();
            _readers.Dispose(); // closes idle readers, so the files can be removed
            _ownership.Dispose();
        }
        finally
        {
            _writeLock.Release();
        }
        // _stopping is not disposed: watchers still finishing read its token.
    }

    public override string ToString() => $"sqlite store in {_dataDirectory}";

    private static bool Holds(Compare compare, LogWriter log)
    {
        var kv = log.Get(KeyRange.Single(compare.Key)).FirstOrDefault();
        // etcd: a value compare on a missing key is false, whatever the op.
        if (compare.Target == CompareTarget.Value && kv is null)
            return false;
        int order = compare.Target switch
        {
            CompareTarget.ModRevision => (kv?.ModRevision ?? 0).CompareTo(compare.Number),
            CompareTarget.CreateRevision => (kv?.CreateRevision ?? 0).CompareTo(compare.Number),
            CompareTarget.Version => (kv?.Version ?? 0).CompareTo(compare.Number),
            CompareTarget.Value => kv!.Value.Span.SequenceCompareTo(compare.Value.Span),
            _ => throw new ArgumentException($"txn: unknown compare target {compare.Target}"),
        };
        return compare.Op switch
        {
            CompareOp.Equal => order == 0,
            CompareOp.NotEqual => order != 0,
            CompareOp.Less => order < 0,
            CompareOp.Greater => order > 0,
            _ => throw new ArgumentException($"txn: unknown compare op {compare.Op}"),
        };
    }

    /// <summary>Runs <paramref name="read"/> in a snapshot on a pooled read-only connection.</summary>
    private Task<T> Read<T>(Func<SqliteConnection, SqliteTransaction, T> read, CancellationToken cancellationToken)
    {
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            cancellationToken.ThrowIfCancellationRequested();
            var connection = _readers.Rent();
            SqliteTransaction transaction;
            try
            {
                transaction = connection.BeginTransaction(deferred: true);
            }
            catch
            {
                connection.Dispose();
                throw;
            }
            try
            {
                return Task.FromResult(read(connection, transaction));
            }
            finally
            {
                EndRead(connection, transaction);
            }
        }
        catch (OperationCanceledException e) when (e.CancellationToken == cancellationToken)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }
        catch (Exception e)
        {
            return Task.FromException<T>(e);
        }
    }

    /// <summary>Ends a read's transaction and gives its connection back; one whose rollback failed is closed, never reused.</summary>
    private void EndRead(SqliteConnection connection, SqliteTransaction transaction)
    {
        try
        {
            transaction.Dispose();
            _readers.Return(connection);
        }
        catch (Exception e)
        {
            _log.LogWarning(e, "ending a read transaction failed, closing its connection: {Error}", e.Message);
            connection.Dispose();
        }
    }

    private void SetMeta(SqliteTransaction transaction, string name, long value)
    {
        using var command = LogReader.Command(_writer, transaction, "UPDATE meta SET value = $value WHERE name = $name");
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$value", value);
        command.ExecuteNonQuery();
    }
}
