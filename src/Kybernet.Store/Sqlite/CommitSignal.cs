namespace Kybernet.Store.Sqlite;

/// <summary>
/// Tells watchers that a revision was committed. It carries no data: each watcher reads the log
/// itself from its own next revision, so none misses or reorders an event, and a slow watcher costs
/// the writer nothing. A watcher takes <see cref="Next"/> before reading the log, so a commit made
/// after its read completes the task it then waits on.
/// </summary>
internal sealed class CommitSignal
{
    private TaskCompletionSource _next = NewSource();

    public Task Next => Volatile.Read(ref _next).Task;

    public void Publish() => Interlocked.Exchange(ref _next, NewSource()).TrySetResult();

    // Watchers' continuations run on the pool, never inline on the writer's thread.
    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
