using Kybernet.Controllers.Replication;

namespace Kybernet.Controllers.Tests.Replication;

public sealed class SlowStartTests
{
    [Fact]
    public async Task Batches_double_and_stop_after_a_batch_with_a_failure()
    {
        var calls = 0;
        var (succeeded, failure) = await SlowStart.RunAsync(100, () =>
            Interlocked.Increment(ref calls) == 5 ? Task.FromException(new InvalidOperationException("quota")) : Task.CompletedTask);
        // Batches 1, 2, 4: the fifth call (in the third batch) fails, so the batch of 8 never starts.
        Assert.Equal(7, calls);
        Assert.Equal(6, succeeded);
        Assert.Equal("quota", failure?.Message);
    }

    [Fact]
    public async Task All_succeed_in_growing_batches_up_to_the_count()
    {
        var calls = 0;
        var (succeeded, failure) = await SlowStart.RunAsync(10, () => { Interlocked.Increment(ref calls); return Task.CompletedTask; });
        Assert.Equal((10, 10), (calls, succeeded));
        Assert.Null(failure);
    }
}
