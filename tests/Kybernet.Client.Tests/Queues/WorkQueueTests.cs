using Kybernet.Client.Queues;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kybernet.Client.Tests.Queues;

public sealed class WorkQueueTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_key_added_many_times_before_it_is_taken_is_queued_once()
    {
        using var queue = new WorkQueue<string>();
        queue.Add("a");
        queue.Add("b");
        queue.Add("a");
        queue.Add("a");
        Assert.Equal(2, queue.Count);
        Assert.Equal("a", await queue.TakeAsync().WaitAsync(Bound));
        Assert.Equal("b", await queue.TakeAsync().WaitAsync(Bound));
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task A_key_added_while_processed_comes_back_only_after_done()
    {
        using var queue = new WorkQueue<string>();
        queue.Add("a");
        var key = await queue.TakeAsync().WaitAsync(Bound);
        queue.Add("a"); // changed again while a worker reconciles it
        queue.Add("a");
        Assert.Equal(0, queue.Count); // not handed to a second worker meanwhile
        var second = queue.TakeAsync();
        Assert.False(second.IsCompleted);

        queue.Done(key);
        Assert.Equal("a", await second.WaitAsync(Bound)); // once more, for the change it missed
        queue.Done("a");
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task Failures_back_off_exponentially_per_key_until_forgotten()
    {
        var time = new FakeTimeProvider();
        using var queue = new WorkQueue<string>(new WorkQueueOptions { BaseDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(35), Time = time });
        Assert.Equal([10, 20, 35, 35], new[] { 0, 1, 2, 3 }.Select(f => queue.Backoff(f).TotalMilliseconds));

        queue.AddRateLimited("a");
        Assert.Equal(1, queue.Requeues("a"));
        Assert.Equal(0, queue.Count);
        time.Advance(TimeSpan.FromMilliseconds(9));
        Assert.Equal(0, queue.Count);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await WaitForCount(queue, 1);
        queue.Done(await queue.TakeAsync().WaitAsync(Bound));

        queue.AddRateLimited("a"); // the second failure in a row waits twice as long
        time.Advance(TimeSpan.FromMilliseconds(19));
        Assert.Equal(0, queue.Count);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await WaitForCount(queue, 1);
        queue.Done(await queue.TakeAsync().WaitAsync(Bound));

        queue.Forget("a");
        Assert.Equal(0, queue.Requeues("a"));
        queue.AddRateLimited("a");
        time.Advance(TimeSpan.FromMilliseconds(10));
        await WaitForCount(queue, 1);
    }

    [Fact]
    public async Task A_key_asked_for_later_many_times_waits_once_at_the_earliest_time()
    {
        var time = new FakeTimeProvider();
        using var queue = new WorkQueue<string>(new WorkQueueOptions { Time = time });
        for (var i = 0; i < 20; i++)
            queue.AddAfter("recheck", TimeSpan.FromMilliseconds(500)); // re-armed on every event
        queue.AddAfter("recheck", TimeSpan.FromMilliseconds(100));

        time.Advance(TimeSpan.FromMilliseconds(100));
        await WaitForCount(queue, 1);
        queue.Done(await queue.TakeAsync().WaitAsync(Bound));
        time.Advance(TimeSpan.FromMilliseconds(500));
        await Task.Delay(50); // let any stray timer land: there must be none
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task Shutting_down_ends_waiting_takers()
    {
        using var queue = new WorkQueue<string>();
        var waiting = queue.TakeAsync();
        queue.ShutDown();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Bound));
        queue.Add("ignored");
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task Workers_never_reconcile_one_key_twice_at_once_and_retry_failures()
    {
        using var queue = new WorkQueue<string>(new WorkQueueOptions { BaseDelay = TimeSpan.FromMilliseconds(1) });
        using var stop = new CancellationTokenSource();
        var inFlight = new HashSet<string>();
        var overlaps = 0;
        var attempts = new Dictionary<string, int>();
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var workers = QueueWorkers.RunAsync(queue, 4, async (key, ct) =>
        {
            lock (inFlight)
            {
                if (!inFlight.Add(key))
                    overlaps++;
                attempts[key] = attempts.GetValueOrDefault(key) + 1;
            }
            await Task.Yield();
            if (key != "flaky")
                queue.Add(key); // a change arriving while it is reconciled: queued again once it is done
            // "flaky" comes back only through its backoff after each failure.
            lock (inFlight)
                inFlight.Remove(key);
            int tries;
            lock (inFlight)
                tries = attempts[key];
            if (key == "flaky" && tries < 3)
                throw new InvalidOperationException("not yet");
            lock (inFlight)
                if (attempts.GetValueOrDefault("flaky") >= 3 && attempts.Values.Sum() >= 40)
                    finished.TrySetResult();
        }, NullLogger.Instance, stop.Token);
        foreach (var key in new[] { "a", "b", "c", "flaky" })
            queue.Add(key);

        await finished.Task.WaitAsync(Bound);
        await stop.CancelAsync();
        await workers.WaitAsync(Bound);
        Assert.Equal(0, overlaps);
        Assert.True(attempts["flaky"] >= 3);
    }

    private static async Task WaitForCount(WorkQueue<string> queue, int count)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (queue.Count != count && DateTime.UtcNow < deadline)
            await Task.Delay(1);
        Assert.Equal(count, queue.Count);
    }
}
