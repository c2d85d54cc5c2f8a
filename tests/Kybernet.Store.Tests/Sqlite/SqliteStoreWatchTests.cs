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

    [Fact]
    public async Task A_caught_up_watcher_gets_from_memory_exactly_what_the_log_gives_a_watcher_from_the_past()
    {
        // Caught up before the writes: it reads them from the store's window of recent changes.
        await using (var live = new WatchReader(_store, KeyRange.Prefix("/w/"), 0))
        {
            await Writes(_store);
            var fromMemory = await live.NextAsync(8);

            // Reopened, the store's window starts empty: a watch from the first write's revision reads the log.
            await _store.DisposeAsync();
            _store = SqliteStore.Open(_directory.Path);
            await using var past = new WatchReader(_store, KeyRange.Prefix("/w/"), fromMemory[0].Kv.ModRevision);
            var fromLog = await past.NextAsync(8);
            Assert.Equal(fromLog.Select(Describe), fromMemory.Select(Describe));
        }

        static async Task Writes(SqliteStore store)
        {
            await store.PutAsync("/w/a", "1"u8.ToArray());
            await store.PutAsync("/other", "x"u8.ToArray());
            await store.PutAsync("/w/a", "2"u8.ToArray());
            await store.TxnAsync(new Txn([], [new TxnOp.Put("/w/b", "3"u8.ToArray(), 0), new TxnOp.Put("/w/c", "4"u8.ToArray(), 0)], []));
            await store.TxnAsync(new Txn([], [new TxnOp.Delete(KeyRange.Prefix("/w/"))], []));
            await store.PutAsync("/w/a", "5"u8.ToArray());
        }

        static string Describe(WatchEvent e) => $"{e.Type} {Kv(e.Kv)} prev {(e.PrevKv is null ? "-" : Kv(e.PrevKv))}";
        static string Kv(KeyValue kv) => $"{kv.Key}={System.Text.Encoding.UTF8.GetString(kv.Value.Span)} c{kv.CreateRevision} m{kv.ModRevision} v{kv.Version} l{kv.Lease}";
    }
}
