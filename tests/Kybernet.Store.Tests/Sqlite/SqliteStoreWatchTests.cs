using Kybernet.Store.Sqlite;

namespace Kybernet.Store.Tests.Sqlite;

/// <summary>How SqliteStore's watchers behave when they fall behind (beyond what the contract says).</summary>
public sealed class SqliteStoreWatchTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = new();
    private SqliteStore _store = null!;

    public Task InitializeAsync()
    {
        _store = SqliteStore.Open(_directory.Path);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task A_watcher_nobody_reads_does_not_hold_up_writes_and_then_gets_every_event()
    {
        await using var watch = new WatchReader(_store, KeyRange.Prefix("/s/"), 1);
        await _store.PutAsync("/s/first", "x"u8.ToArray());
        await watch.NextAsync(); // the watcher is running and now caught up

        // More events than one read batch, none read while they are written.
        for (var i = 0; i < 1500; i++)
            await _store.PutAsync($"/s/{i % 7}", "x"u8.ToArray());

        var events = await watch.NextAsync(1500);
        Assert.Equal(Enumerable.Range(2, 1500).Select(r => (long)r), events.Select(e => e.Kv.ModRevision));
    }

    [Fact]
    public async Task A_watcher_left_behind_by_compaction_is_told_so_instead_of_skipping_events()
    {
        await using var watch = new WatchReader(_store, KeyRange.Prefix("/s/"), 1);
        await _store.PutAsync("/s/a", "1"u8.ToArray());
        await watch.NextAsync();
        for (var i = 0; i < 1500; i++)
            await _store.PutAsync("/s/a", "x"u8.ToArray());

        await _store.CompactAsync(await _store.CurrentRevisionAsync());

        // Its first batch was read before the compaction; the next read finds its rows gone.
        var e = await Assert.ThrowsAsync<CompactedException>(async () => await watch.NextAsync(1500));
        Assert.Equal(await _store.CurrentRevisionAsync(), e.CompactRevision);
    }
}
