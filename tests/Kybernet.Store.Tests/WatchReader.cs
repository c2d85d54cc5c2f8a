namespace Kybernet.Store.Tests;

/// <summary>
/// Reads a watch one event at a time with a cap on each wait, so a missing event fails the test
/// instead of hanging it. The cap is a bound, never an assertion about timing.
/// </summary>
public sealed class WatchReader : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly CancellationTokenSource _cancel = new();
    private readonly IAsyncEnumerator<WatchEvent> _events;
    private Task<bool>? _pending;

    public WatchReader(IKeyValueStore store, KeyRange range, long fromRevision) =>
        _events = store.WatchAsync(range, fromRevision, _cancel.Token).GetAsyncEnumerator(_cancel.Token);

    /// <summary>The next event; fails if none comes within <see cref="Patience"/>.</summary>
    public async Task<WatchEvent> NextAsync() =>
        await TryNextAsync(Patience) ?? throw new TimeoutException($"no watch event within {Patience}");

    /// <summary>The next event, or null if none came within <paramref name="wait"/> (it is then kept for the next call).</summary>
    public async Task<WatchEvent?> TryNextAsync(TimeSpan wait)
    {
        _pending ??= _events.MoveNextAsync().AsTask();
        if (await Task.WhenAny(_pending, Task.Delay(wait)) != _pending)
            return null;
        var more = await _pending;
        _pending = null;
        Assert.True(more, "the watch ended");
        return _events.Current;
    }

    public async Task<List<WatchEvent>> NextAsync(int count)
    {
        var events = new List<WatchEvent>();
        while (events.Count < count)
            events.Add(await NextAsync());
        return events;
    }

    public async ValueTask DisposeAsync()
    {
        _cancel.Cancel();
        if (_pending is not null)
        {
            try
            {
                await _pending;
            }
            catch (Exception)
            {
                // How a cancelled watch ends differs by implementation; the test is over either way.
            }
        }
        await _events.DisposeAsync();
        _cancel.Dispose();
    }
}
