using System.Threading.Channels;

namespace Kybernet.Controllers.Replication;

/// <summary>
/// Upstream's slow start, without its barrier: run <c>count</c> calls, at most <c>2 × succeeded + initialBatch</c> of
/// them started so far, and none started after a failure. Upstream runs batches of 1, 2, 4, ... and waits for each
/// whole batch; this keeps the same envelope (the 1st call alone, the 7th only after 3 successes) but starts the next
/// call as soon as any success allows it, so one slow call does not idle the rest. A template the API rejects (a quota,
/// a missing priority class) still costs one failed call per sync, not hundreds.
/// </summary>
public static class SlowStart
{
    /// <summary>How many calls succeeded, and the first failure (null when none failed). Returns once no call runs.</summary>
    public static async Task<(int Succeeded, Exception? Failure)> RunAsync(int count, Func<Task> call, int initialBatch = 1)
    {
        var finished = Channel.CreateUnbounded<Exception?>();
        int succeeded = 0, started = 0, running = 0;
        Exception? failure = null;
        while (true)
        {
            while (failure is null && started < count && started < 2 * succeeded + initialBatch)
            {
                started++;
                running++;
                _ = Task.Run(async () =>
                {
                    try
                    {
                        await call();
                        finished.Writer.TryWrite(null);
                    }
                    catch (Exception e)
                    {
                        finished.Writer.TryWrite(e);
                    }
                });
            }
            if (running == 0)
                return (succeeded, failure);
            var outcome = await finished.Reader.ReadAsync();
            running--;
            if (outcome is null)
                succeeded++;
            else
                failure ??= outcome;
        }
    }
}
