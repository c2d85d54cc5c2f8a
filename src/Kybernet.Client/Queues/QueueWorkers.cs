using Microsoft.Extensions.Logging;

namespace Kybernet.Client.Queues;

/// <summary>
/// The loop every controller runs on its queue: take a key, reconcile it, then Forget it on success or put it back with
/// its backoff on failure (logged with the key and why). Several loops (workers) share one queue; the queue
/// guarantees that one key is never reconciled by two of them at once.
/// </summary>
public static class QueueWorkers
{
    public static Task RunAsync<TKey>(WorkQueue<TKey> queue, int workers, Func<TKey, CancellationToken, Task> reconcile, ILogger log, CancellationToken cancellationToken)
        where TKey : notnull =>
        Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(() => WorkAsync(queue, reconcile, log, cancellationToken), CancellationToken.None)));

    private static async Task WorkAsync<TKey>(WorkQueue<TKey> queue, Func<TKey, CancellationToken, Task> reconcile, ILogger log, CancellationToken ct)
        where TKey : notnull
    {
        while (true)
        {
            TKey key;
            try
            {
                key = await queue.TakeAsync(ct);
            }
            catch (OperationCanceledException)
            {
                return; // cancelled or shut down: the only ways out
            }
            try
            {
                await reconcile(key, ct);
                queue.Forget(key);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                var retry = queue.Backoff(queue.Requeues(key));
                log.LogWarning(e, "{Key}: {Error} (retrying in {Delay} ms)", key, e.Message, (long)retry.TotalMilliseconds);
                queue.AddRateLimited(key);
            }
            finally
            {
                queue.Done(key);
            }
        }
    }
}
