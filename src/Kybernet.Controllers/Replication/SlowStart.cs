namespace Kybernet.Controllers.Replication;

/// <summary>
/// Upstream's slow start: run <c>count</c> calls in batches of 1, 2, 4, ... (each batch's calls at once), and stop after
/// a batch in which any failed. A template the API rejects (a quota, a missing priority class) then costs a couple of
/// failed calls per sync instead of hundreds.
/// </summary>
public static class SlowStart
{
    /// <summary>How many calls succeeded, and the first failure (null when none failed).</summary>
    public static async Task<(int Succeeded, Exception? Failure)> RunAsync(int count, Func<Task> call, int initialBatch = 1)
    {
        var succeeded = 0;
        var remaining = count;
        for (var batch = Math.Min(remaining, initialBatch); batch > 0; batch = Math.Min(2 * batch, remaining))
        {
            var calls = Enumerable.Range(0, batch).Select(_ => Task.Run(call)).ToArray();
            try
            {
                await Task.WhenAll(calls);
            }
            catch (Exception)
            {
                // Each call's outcome is read below: WhenAll throws only the first failure.
            }
            succeeded += calls.Count(c => c.IsCompletedSuccessfully);
            if (calls.FirstOrDefault(c => !c.IsCompletedSuccessfully) is { } failed)
                return (succeeded, failed.Exception?.InnerException ?? new OperationCanceledException());
            remaining -= batch;
        }
        return (succeeded, null);
    }
}
