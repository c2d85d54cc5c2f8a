using Kybernet.Overlay.Subnets;

namespace Kybernet.Overlay.Tests.Subnets;

/// <summary>Reads a lease watch with a cap on each wait, so a missing event fails the test instead of hanging it (a bound, not a timing assertion).</summary>
internal sealed class LeaseWatch : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly CancellationTokenSource _cancel = new();
    private readonly IAsyncEnumerator<LeaseEventBatch> _batches;
    private Task<bool>? _pending;

    public LeaseWatch(ISubnetManager manager, long fromRevision = 0) =>
        _batches = manager.WatchLeasesAsync(fromRevision, _cancel.Token).GetAsyncEnumerator(_cancel.Token);

    public async Task<LeaseEventBatch> NextAsync()
    {
        _pending ??= _batches.MoveNextAsync().AsTask();
        if (await Task.WhenAny(_pending, Task.Delay(Patience)) != _pending)
        {
            throw new TimeoutException($"no lease batch within {Patience}");
        }
        Assert.True(await _pending, "the lease watch ended");
        _pending = null;
        return _batches.Current;
    }

    /// <summary>Reads batches until one holds an event matching <paramref name="match"/>; every event read on the way is returned too.</summary>
    public async Task<List<LeaseEvent>> UntilAsync(Func<LeaseEvent, bool> match)
    {
        var seen = new List<LeaseEvent>();
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            var batch = await NextAsync();
            seen.AddRange(batch.Events);
            if (batch.Events.Any(match))
            {
                return seen;
            }
        }
        throw new TimeoutException($"no matching lease event within {Patience}; saw {string.Join(", ", seen.Select(e => $"{e.Type} {e.Lease.KeyName}"))}");
    }

    public async ValueTask DisposeAsync()
    {
        _cancel.Cancel();
        if (_pending is not null)
        {
            try { await _pending; } catch (OperationCanceledException) { }
        }
        await _batches.DisposeAsync();
        _cancel.Dispose();
    }
}
