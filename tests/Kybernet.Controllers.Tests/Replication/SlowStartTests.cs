using System.Collections.Concurrent;
using Kybernet.Controllers.Replication;

namespace Kybernet.Controllers.Tests.Replication;

public sealed class SlowStartTests
{
    [Fact]
    public async Task A_first_call_that_fails_is_the_only_call()
    {
        var calls = 0;
        var (succeeded, failure) = await SlowStart.RunAsync(100, () =>
        {
            Interlocked.Increment(ref calls);
            return Task.FromException(new InvalidOperationException("quota"));
        });
        Assert.Equal((1, 0), (calls, succeeded));
        Assert.Equal("quota", failure?.Message);
    }

    [Fact]
    public async Task Each_success_lets_two_more_start_without_waiting_for_the_slow_ones()
    {
        var pending = new BlockingCollection<TaskCompletionSource>();
        var run = SlowStart.RunAsync(100, () =>
        {
            var call = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            pending.Add(call);
            return call.Task;
        });
        var first = Take(pending);
        Assert.False(pending.TryTake(out _, 200)); // alone until it succeeds
        first.SetResult();
        var second = Take(pending);
        var third = Take(pending);
        Assert.False(pending.TryTake(out _, 200)); // 2 × 1 + 1 started
        second.SetResult();
        // Two more start while the third still runs: no batch waits for its slowest call.
        var fourth = Take(pending);
        var fifth = Take(pending);
        Assert.False(pending.TryTake(out _, 200));
        Assert.False(third.Task.IsCompleted);
        // A failure stops new calls; those running are waited for and counted.
        fourth.SetException(new InvalidOperationException("quota"));
        Assert.False(pending.TryTake(out _, 200));
        Assert.False(run.IsCompleted);
        third.SetResult();
        fifth.SetResult();
        var (succeeded, failure) = await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(4, succeeded);
        Assert.Equal("quota", failure?.Message);
    }

    [Fact]
    public async Task All_succeed_up_to_the_count()
    {
        var calls = 0;
        var (succeeded, failure) = await SlowStart.RunAsync(10, () => { Interlocked.Increment(ref calls); return Task.CompletedTask; });
        Assert.Equal((10, 10), (calls, succeeded));
        Assert.Null(failure);
    }

    private static TaskCompletionSource Take(BlockingCollection<TaskCompletionSource> pending) =>
        pending.TryTake(out var call, TimeSpan.FromSeconds(30)) ? call : throw new TimeoutException("the next call never started");
}
