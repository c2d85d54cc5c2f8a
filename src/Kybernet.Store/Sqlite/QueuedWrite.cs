namespace Kybernet.Store.Sqlite;

/// <summary>
/// One writer's transaction waiting for the writer loop (<see cref="SqliteStore"/>'s group commit). The loop runs it
/// inside the batch's SQLite transaction and settles it only after the batch is committed (or failed), so a caller
/// never hears of a write that could still be lost. A write whose caller gives up before the loop takes it is not run.
/// </summary>
internal abstract class QueuedWrite
{
    private const int Queued = 0, Started = 1, Cancelled = 2;
    private int _state = Queued;

    /// <summary>The store's revision after this write (its own, or the one before it if it changed nothing).</summary>
    public long Revision { get; set; }

    /// <summary>The changes it made, appended for watchers once the batch is committed (null when it changed nothing).</summary>
    public LogWriter? Log { get; set; }

    /// <summary>Its own failure, answered once the rest of its batch is committed (null if it succeeded).</summary>
    public Exception? Error { get; set; }

    /// <summary>Claims the write for the loop; false if its caller cancelled it first (then it must not run).</summary>
    public bool TryStart() => Interlocked.CompareExchange(ref _state, Started, Queued) == Queued;

    /// <summary>Withdraws a write the loop has not taken yet; false once it has.</summary>
    protected bool TryCancel() => Interlocked.CompareExchange(ref _state, Cancelled, Queued) == Queued;

    /// <summary>Runs the write's ops in the current savepoint; the result is kept until <see cref="Succeed"/>.</summary>
    public abstract void Run(LogWriter log);

    /// <summary>The batch is committed: the caller gets its result and <see cref="Revision"/>.</summary>
    public abstract void Succeed();

    /// <summary>The write failed (its own error), or the batch did (the commit's error).</summary>
    public abstract void Fail(Exception error);
}

/// <summary>A <see cref="QueuedWrite"/> whose ops return a <typeparamref name="T"/>.</summary>
internal sealed class QueuedWrite<T> : QueuedWrite
{
    private readonly Func<LogWriter, T> _write;
    // Continuations run on the pool: the writer loop must not run its callers' code inline.
    private readonly TaskCompletionSource<(T Result, long Revision)> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenRegistration _cancellation;
    private T _result = default!;

    public QueuedWrite(Func<LogWriter, T> write, CancellationToken cancellationToken)
    {
        _write = write;
        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.Register(() =>
            {
                if (TryCancel())
                    _done.TrySetCanceled(cancellationToken);
            });
        }
    }

    public Task<(T Result, long Revision)> Task => _done.Task;

    public override void Run(LogWriter log) => _result = _write(log);

    public override void Succeed()
    {
        _cancellation.Dispose();
        _done.TrySetResult((_result, Revision));
    }

    public override void Fail(Exception error)
    {
        _cancellation.Dispose();
        _done.TrySetException(error);
    }
}
