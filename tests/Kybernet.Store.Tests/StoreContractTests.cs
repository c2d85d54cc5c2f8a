using System.Text;

namespace Kybernet.Store.Tests;

/// <summary>
/// The contract every <see cref="IKeyValueStore"/> passes: etcd v3's semantics. A subclass supplies a
/// fresh, empty store per test. Revisions are asserted relative to the store's revision at the start
/// of a test (a fresh etcd is at revision 1, a fresh SQLite store at 0). Waits are bounded polls,
/// never timing assertions.
/// </summary>
public abstract class StoreContractTests : IAsyncLifetime
{
    protected IKeyValueStore Store { get; private set; } = null!;

    /// <summary>A fresh, empty store; disposed after the test by <see cref="DisposeAsync"/>.</summary>
    protected abstract Task<IKeyValueStore> CreateStoreAsync();

    public async Task InitializeAsync() => Store = await CreateStoreAsync();

    public virtual async Task DisposeAsync() => await Store.DisposeAsync();

    private static byte[] Bytes(string value) => Encoding.UTF8.GetBytes(value);

    private static string Text(ReadOnlyMemory<byte> value) => Encoding.UTF8.GetString(value.Span);

    private Task<long> Revision() => Store.CurrentRevisionAsync();

    private async Task<string?> ValueOf(string key, long revision = 0) =>
        await Store.GetAsync(key, revision) is { } kv ? Text(kv.Value) : null;

    // ---- revision bookkeeping ----

    [Fact]
    public async Task Put_bumps_the_revision_by_one_and_tracks_create_mod_and_version()
    {
        var r0 = await Revision();

        Assert.Equal(r0 + 1, await Store.PutAsync("/a", Bytes("1")));
        var first = await Store.GetAsync("/a");
        Assert.Equal(new KeyValue("/a", first!.Value, r0 + 1, r0 + 1, 1), first);
        Assert.Equal("1", Text(first.Value));

        Assert.Equal(r0 + 2, await Store.PutAsync("/a", Bytes("2")));
        var second = await Store.GetAsync("/a");
        Assert.Equal((r0 + 1, r0 + 2, 2L), (second!.CreateRevision, second.ModRevision, second.Version));
        Assert.Equal(r0 + 2, await Revision());
    }

    [Fact]
    public async Task Reads_and_deleting_a_missing_key_do_not_bump_the_revision()
    {
        await Store.PutAsync("/a", Bytes("1"));
        var r = await Revision();

        await Store.GetAsync("/a");
        await Store.RangeAsync(KeyRange.Prefix("/"));
        Assert.Null(await Store.DeleteAsync("/missing"));
        var result = await Store.TxnAsync(new Txn([], [new TxnOp.Delete(KeyRange.Prefix("/nothing/"))], []));

        Assert.True(result.Succeeded);
        Assert.Equal(r, result.Revision);
        Assert.Equal(r, await Revision());
    }

    [Fact]
    public async Task A_txn_with_several_puts_is_one_revision()
    {
        var r0 = await Revision();

        var result = await Store.TxnAsync(new Txn([], [new TxnOp.Put("/a", Bytes("a")), new TxnOp.Put("/b", Bytes("b")), new TxnOp.Put("/c", Bytes("c"))], []));

        Assert.True(result.Succeeded);
        Assert.Equal(r0 + 1, result.Revision);
        Assert.Equal(r0 + 1, await Revision());
        var kvs = (await Store.RangeAsync(KeyRange.Prefix("/"))).Kvs;
        Assert.Equal(["/a", "/b", "/c"], kvs.Select(kv => kv.Key));
        Assert.All(kvs, kv => Assert.Equal((r0 + 1, r0 + 1, 1L), (kv.CreateRevision, kv.ModRevision, kv.Version)));
    }

    [Fact]
    public async Task A_failed_txn_runs_its_failure_branch_and_does_not_bump_the_revision_when_it_only_reads()
    {
        await Store.PutAsync("/a", Bytes("1"));
        var r = await Revision();

        var result = await Store.TxnAsync(new Txn(
            [Compare.Absent("/a")],
            [new TxnOp.Put("/a", Bytes("never"))],
            [new TxnOp.Get(KeyRange.Single("/a"))]));

        Assert.False(result.Succeeded);
        Assert.Equal(r, result.Revision);
        Assert.Equal(r, await Revision());
        var get = Assert.IsType<TxnOpResult.Get>(Assert.Single(result.Results));
        Assert.Equal("1", Text(Assert.Single(get.Kvs).Value));
    }

    [Fact]
    public async Task A_failed_txn_whose_failure_branch_writes_is_one_revision()
    {
        var r0 = await Revision();

        var result = await Store.TxnAsync(new Txn(
            [Compare.ModRevision("/a", CompareOp.Equal, 42)],
            [],
            [new TxnOp.Put("/a", Bytes("created")), new TxnOp.Put("/b", Bytes("too"))]));

        Assert.False(result.Succeeded);
        Assert.Equal(r0 + 1, result.Revision);
        Assert.Equal("created", await ValueOf("/a"));
        Assert.Equal("too", await ValueOf("/b"));
    }

    [Fact]
    public async Task Txn_results_come_in_op_order_and_a_get_sees_the_txns_earlier_ops()
    {
        await Store.PutAsync("/old", Bytes("old"));
        var r0 = await Revision();

        var result = await Store.TxnAsync(new Txn(
            [Compare.Version("/old", CompareOp.Equal, 1)],
            [new TxnOp.Put("/new", Bytes("new")), new TxnOp.Delete(KeyRange.Single("/old")), new TxnOp.Get(KeyRange.Prefix("/"))],
            []));

        Assert.True(result.Succeeded);
        Assert.Equal(r0 + 1, result.Revision);
        Assert.Null(Assert.IsType<TxnOpResult.Put>(result.Results[0]).PrevKv);
        var deleted = Assert.Single(Assert.IsType<TxnOpResult.Delete>(result.Results[1]).Deleted);
        Assert.Equal(("/old", "old"), (deleted.Key, Text(deleted.Value)));
        var seen = Assert.Single(Assert.IsType<TxnOpResult.Get>(result.Results[2]).Kvs);
        Assert.Equal(("/new", r0 + 1), (seen.Key, seen.ModRevision));
    }

    [Fact]
    public async Task A_put_returns_the_previous_value()
    {
        await Store.PutAsync("/a", Bytes("1"));

        var result = await Store.TxnAsync(new Txn([], [new TxnOp.Put("/a", Bytes("2"))], []));

        var prev = Assert.IsType<TxnOpResult.Put>(Assert.Single(result.Results)).PrevKv;
        Assert.Equal("1", Text(prev!.Value));
    }

    [Fact]
    public async Task Version_and_create_revision_start_over_when_a_key_is_recreated()
    {
        await Store.PutAsync("/a", Bytes("1"));
        await Store.PutAsync("/a", Bytes("2"));
        await Store.DeleteAsync("/a");

        var recreated = await Store.PutAsync("/a", Bytes("3"));

        var kv = await Store.GetAsync("/a");
        Assert.Equal((recreated, recreated, 1L), (kv!.CreateRevision, kv.ModRevision, kv.Version));
    }

    [Fact]
    public async Task Empty_values_and_non_ascii_keys_round_trip()
    {
        await Store.PutAsync("/empty", ReadOnlyMemory<byte>.Empty);
        await Store.PutAsync("/ключ/☃", Bytes("snow"));

        Assert.Equal(0, (await Store.GetAsync("/empty"))!.Value.Length);
        Assert.Equal("snow", await ValueOf("/ключ/☃"));
        Assert.Equal("/ключ/☃", Assert.Single((await Store.RangeAsync(KeyRange.Prefix("/ключ/"))).Kvs).Key);
    }

    [Fact]
    public async Task A_txn_that_writes_one_key_twice_is_refused()
    {
        var r0 = await Revision();

        await Assert.ThrowsAnyAsync<Exception>(() => Store.TxnAsync(new Txn([], [new TxnOp.Put("/a", Bytes("1")), new TxnOp.Put("/a", Bytes("2"))], [])));

        Assert.Equal(r0, await Revision());
        Assert.Null(await Store.GetAsync("/a"));
    }

    // ---- range ----

    [Fact]
    public async Task Range_reads_one_key_or_a_prefix_in_key_order()
    {
        foreach (var key in new[] { "/p/c", "/p/a", "/pz", "/o", "/p/b", "/p" })
            await Store.PutAsync(key, Bytes(key));
        var r = await Revision();

        var prefix = await Store.RangeAsync(KeyRange.Prefix("/p/"));
        Assert.Equal(["/p/a", "/p/b", "/p/c"], prefix.Kvs.Select(kv => kv.Key));
        Assert.Equal((3L, false, r), (prefix.Count, prefix.More, prefix.Revision));

        var single = await Store.RangeAsync(KeyRange.Single("/p/b"));
        Assert.Equal("/p/b", Text(Assert.Single(single.Kvs).Value));

        var missing = await Store.RangeAsync(KeyRange.Single("/p/x"));
        Assert.Empty(missing.Kvs);
        Assert.Equal(0, missing.Count);

        Assert.Equal(6, (await Store.RangeAsync(KeyRange.Prefix(""))).Count);
    }

    [Fact]
    public async Task Range_with_a_limit_counts_every_match_and_says_there_is_more()
    {
        foreach (var key in new[] { "/l/1", "/l/2", "/l/3", "/l/4" })
            await Store.PutAsync(key, Bytes("x"));
        await Store.DeleteAsync("/l/4");

        var limited = await Store.RangeAsync(KeyRange.Prefix("/l/"), limit: 2);
        Assert.Equal(["/l/1", "/l/2"], limited.Kvs.Select(kv => kv.Key));
        Assert.Equal((3L, true), (limited.Count, limited.More));

        var exact = await Store.RangeAsync(KeyRange.Prefix("/l/"), limit: 3);
        Assert.Equal((3, 3L, false), (exact.Kvs.Count, exact.Count, exact.More));
    }

    [Fact]
    public async Task Range_from_a_start_key_pages_through_a_prefix_at_one_revision()
    {
        foreach (var key in new[] { "/q/a", "/q/b", "/q/c", "/q/d", "/qz", "/p" })
            await Store.PutAsync(key, Bytes(key));
        var r = await Revision();

        var first = await Store.RangeAsync(KeyRange.Prefix("/q/"), limit: 2);
        Assert.Equal(["/q/a", "/q/b"], first.Kvs.Select(kv => kv.Key));
        Assert.Equal((4L, true), (first.Count, first.More));

        // What a paginated list does: the next page starts just after the last key ("\0" sorts first), at the first page's revision.
        await Store.PutAsync("/q/bb", Bytes("written between the pages"));
        await Store.DeleteAsync("/q/c");
        var next = await Store.RangeAsync(KeyRange.PrefixFrom("/q/", "/q/b\0"), r, limit: 2);
        Assert.Equal(["/q/c", "/q/d"], next.Kvs.Select(kv => kv.Key));
        Assert.Equal((2L, false, r), (next.Count, next.More, next.Revision));

        var now = await Store.RangeAsync(KeyRange.PrefixFrom("/q/", "/q/b\0"));
        Assert.Equal(["/q/bb", "/q/d"], now.Kvs.Select(kv => kv.Key));

        var inclusive = await Store.RangeAsync(KeyRange.PrefixFrom("/q/", "/q/c"), r);
        Assert.Equal(["/q/c", "/q/d"], inclusive.Kvs.Select(kv => kv.Key));
        Assert.Empty((await Store.RangeAsync(KeyRange.PrefixFrom("/q/", "/q/e"))).Kvs);
        Assert.Throws<ArgumentException>(() => KeyRange.PrefixFrom("/q/", "/p"));
    }

    [Fact]
    public async Task Range_at_an_older_revision_sees_the_values_of_then()
    {
        var r1 = await Store.PutAsync("/a", Bytes("1"));
        var r2 = await Store.PutAsync("/a", Bytes("2"));
        var r3 = (await Store.TxnAsync(new Txn([], [new TxnOp.Delete(KeyRange.Single("/a")), new TxnOp.Put("/b", Bytes("b"))], []))).Revision;
        await Store.PutAsync("/a", Bytes("4"));

        var atR1 = await Store.RangeAsync(KeyRange.Prefix("/"), r1);
        Assert.Equal(r1, atR1.Revision);
        Assert.Equal("1", Text(Assert.Single(atR1.Kvs).Value));
        Assert.Equal("2", await ValueOf("/a", r2));
        Assert.Null(await ValueOf("/a", r3));
        Assert.Equal("b", await ValueOf("/b", r3));
        Assert.Equal("4", await ValueOf("/a"));
    }

    [Fact]
    public async Task Range_at_a_future_revision_is_refused()
    {
        await Store.PutAsync("/a", Bytes("1"));
        var r = await Revision();

        var e = await Assert.ThrowsAsync<FutureRevisionException>(() => Store.RangeAsync(KeyRange.Single("/a"), r + 1));
        Assert.Contains((r + 1).ToString(), e.Message);
    }

    // ---- compare-and-swap ----

    [Fact]
    public async Task Create_succeeds_only_when_the_key_is_absent()
    {
        var created = await Store.CreateAsync("/a", Bytes("1"));
        Assert.NotNull(created);
        var r = await Revision();

        Assert.Null(await Store.CreateAsync("/a", Bytes("2")));
        Assert.Equal("1", await ValueOf("/a"));
        Assert.Equal(r, await Revision());

        await Store.DeleteAsync("/a");
        Assert.NotNull(await Store.CreateAsync("/a", Bytes("3")));
        Assert.Equal("3", await ValueOf("/a"));
    }

    [Fact]
    public async Task Update_succeeds_only_at_the_expected_mod_revision()
    {
        var r1 = await Store.PutAsync("/a", Bytes("1"));
        var r2 = await Store.PutAsync("/a", Bytes("2"));

        Assert.Null(await Store.UpdateAsync("/a", r1, Bytes("stale")));
        Assert.Equal("2", await ValueOf("/a"));
        Assert.Equal(r2, await Revision());

        Assert.Equal(r2 + 1, await Store.UpdateAsync("/a", r2, Bytes("3")));
        Assert.Equal("3", await ValueOf("/a"));
    }

    [Fact]
    public async Task Delete_succeeds_only_at_the_expected_mod_revision()
    {
        var r1 = await Store.PutAsync("/a", Bytes("1"));
        var r2 = await Store.PutAsync("/a", Bytes("2"));

        Assert.Null(await Store.DeleteAsync("/a", r1));
        Assert.Equal("2", await ValueOf("/a"));

        var deleted = await Store.DeleteAsync("/a", r2);
        Assert.Equal(("2", r2), (Text(deleted!.Value), deleted.ModRevision));
        Assert.Null(await Store.GetAsync("/a"));
        Assert.Equal(r2 + 1, await Revision());
    }

    [Fact]
    public async Task Compares_on_version_create_revision_and_value()
    {
        var created = await Store.PutAsync("/a", Bytes("b"));
        await Store.PutAsync("/a", Bytes("b"));

        async Task<bool> Holds(Compare compare) => (await Store.TxnAsync(new Txn([compare], [], []))).Succeeded;

        Assert.True(await Holds(Compare.Version("/a", CompareOp.Equal, 2)));
        Assert.True(await Holds(Compare.Version("/a", CompareOp.Greater, 1)));
        Assert.False(await Holds(Compare.Version("/a", CompareOp.Less, 2)));
        Assert.True(await Holds(Compare.CreateRevision("/a", CompareOp.Equal, created)));
        Assert.True(await Holds(Compare.CreateRevision("/a", CompareOp.NotEqual, 0)));
        Assert.True(await Holds(Compare.ValueIs("/a", CompareOp.Equal, Bytes("b"))));
        Assert.True(await Holds(Compare.ValueIs("/a", CompareOp.Greater, Bytes("a"))));
        Assert.True(await Holds(Compare.ValueIs("/a", CompareOp.Less, Bytes("c"))));
        Assert.True(await Holds(Compare.ValueIs("/a", CompareOp.NotEqual, Bytes("bb"))));
        Assert.True(await Holds(Compare.Version("/missing", CompareOp.Equal, 0)));
        Assert.True(await Holds(Compare.Absent("/missing")));
        Assert.False(await Holds(Compare.Absent("/a")));
        // Every compare must hold.
        Assert.False((await Store.TxnAsync(new Txn([Compare.Version("/a", CompareOp.Equal, 2), Compare.Absent("/a")], [], []))).Succeeded);
    }

    // ---- watch ----

    [Fact]
    public async Task Watch_from_a_past_revision_delivers_the_history_then_live_events()
    {
        await Store.PutAsync("/w/a", Bytes("1"));
        var from = await Store.PutAsync("/w/a", Bytes("2"));
        await Store.PutAsync("/w/b", Bytes("3"));

        await using var watch = new WatchReader(Store, KeyRange.Prefix("/w/"), from);
        var history = await watch.NextAsync(2);
        Assert.Equal([("/w/a", "2", from), ("/w/b", "3", from + 1)], history.Select(e => (e.Kv.Key, Text(e.Kv.Value), e.Kv.ModRevision)));
        Assert.All(history, e => Assert.Equal(WatchEventType.Put, e.Type));
        Assert.Equal("1", Text(history[0].PrevKv!.Value)); // an update carries the value it replaced

        var live = await Store.PutAsync("/w/c", Bytes("4"));
        var next = await watch.NextAsync();
        Assert.Equal(("/w/c", live, 1L), (next.Kv.Key, next.Kv.ModRevision, next.Kv.Version));
    }

    [Fact]
    public async Task Watch_from_now_skips_the_history()
    {
        await Store.PutAsync("/w/old", Bytes("old"));

        await using var watch = new WatchReader(Store, KeyRange.Prefix("/w/"), 0);
        // A store may set the watch up only once it is read, so write until the watch sees a write:
        // the first event must be a new one, never the history.
        WatchEvent? first = null;
        for (var tries = 0; first is null && tries < 100; tries++)
        {
            await Store.PutAsync("/w/new", Bytes("new"));
            first = await watch.TryNextAsync(TimeSpan.FromMilliseconds(200));
        }
        Assert.NotNull(first);
        Assert.Equal("/w/new", first.Kv.Key);
    }

    [Fact]
    public async Task Watch_on_a_prefix_sees_only_its_keys_and_on_a_key_only_that_key()
    {
        var from = await Revision() + 1;
        await Store.PutAsync("/x/1", Bytes("1"));
        await Store.PutAsync("/y/1", Bytes("no"));
        await Store.PutAsync("/x", Bytes("no: not under /x/"));
        await Store.PutAsync("/x/2", Bytes("2"));

        await using var prefix = new WatchReader(Store, KeyRange.Prefix("/x/"), from);
        Assert.Equal(["/x/1", "/x/2"], (await prefix.NextAsync(2)).Select(e => e.Kv.Key));

        await using var single = new WatchReader(Store, KeyRange.Single("/x"), from);
        Assert.Equal("/x", (await single.NextAsync()).Kv.Key);

        await Store.PutAsync("/y/2", Bytes("no"));
        await Store.PutAsync("/x/3", Bytes("3"));
        Assert.Equal("/x/3", (await prefix.NextAsync()).Kv.Key);
    }

    [Fact]
    public async Task Watch_delivers_many_concurrent_writes_in_revision_order_without_gaps()
    {
        var from = await Revision() + 1;
        await using var watch = new WatchReader(Store, KeyRange.Prefix("/m/"), from);
        const int writers = 4, writes = 50;

        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < writes; i++)
                await Store.PutAsync($"/m/{w}", Bytes(i.ToString()));
        })));
        // Two changes in one txn: one revision, events in op order.
        var both = (await Store.TxnAsync(new Txn([], [new TxnOp.Put("/m/z", Bytes("z")), new TxnOp.Put("/m/a", Bytes("a"))], []))).Revision;

        var events = await watch.NextAsync(writers * writes + 2);
        Assert.Equal(Enumerable.Range(0, writers * writes).Select(i => from + i), events.Take(writers * writes).Select(e => e.Kv.ModRevision));
        Assert.Equal([("/m/z", both), ("/m/a", both)], events.Skip(writers * writes).Select(e => (e.Kv.Key, e.Kv.ModRevision)));
        for (var w = 0; w < writers; w++)
        {
            // Each key's own values arrive in the order they were written.
            var values = events.Where(e => e.Kv.Key == $"/m/{w}").Select(e => Text(e.Kv.Value));
            Assert.Equal(Enumerable.Range(0, writes).Select(i => i.ToString()), values);
        }
    }

    [Fact]
    public async Task A_delete_event_carries_the_deleting_revision_and_the_deleted_value()
    {
        var put = await Store.PutAsync("/d/a", Bytes("gone"));
        var deleted = (await Store.TxnAsync(new Txn([], [new TxnOp.Delete(KeyRange.Prefix("/d/"))], []))).Revision;

        await using var watch = new WatchReader(Store, KeyRange.Prefix("/d/"), put);
        var events = await watch.NextAsync(2);

        Assert.Equal(WatchEventType.Put, events[0].Type);
        var delete = events[1];
        Assert.Equal(WatchEventType.Delete, delete.Type);
        Assert.Equal(("/d/a", deleted, 0), (delete.Kv.Key, delete.Kv.ModRevision, delete.Kv.Value.Length));
        Assert.Equal(("/d/a", "gone", put), (delete.PrevKv!.Key, Text(delete.PrevKv.Value), delete.PrevKv.ModRevision));
    }

    // ---- compaction ----

    [Fact]
    public async Task Compaction_refuses_older_reads_and_watches_and_keeps_the_rest()
    {
        var r1 = await Store.PutAsync("/c/a", Bytes("1"));
        var r2 = await Store.PutAsync("/c/a", Bytes("2"));
        await Store.PutAsync("/c/b", Bytes("b"));
        await Store.DeleteAsync("/c/b");
        var r5 = await Store.PutAsync("/c/a", Bytes("3"));

        await Store.CompactAsync(r2);

        var old = await Assert.ThrowsAsync<CompactedException>(() => Store.RangeAsync(KeyRange.Prefix("/c/"), r1));
        Assert.Equal(r2, old.CompactRevision);
        await using (var watch = new WatchReader(Store, KeyRange.Prefix("/c/"), r1))
            await Assert.ThrowsAsync<CompactedException>(watch.NextAsync);

        Assert.Equal("2", await ValueOf("/c/a", r2));
        Assert.Equal("3", await ValueOf("/c/a"));
        Assert.Equal(1, (await Store.RangeAsync(KeyRange.Prefix("/c/"))).Count);
        await using (var watch = new WatchReader(Store, KeyRange.Prefix("/c/"), r2))
        {
            var events = await watch.NextAsync(4);
            Assert.Equal([r2, r2 + 1, r2 + 2, r5], events.Select(e => e.Kv.ModRevision));
        }

        await Assert.ThrowsAsync<CompactedException>(() => Store.CompactAsync(r2));
        await Assert.ThrowsAsync<FutureRevisionException>(() => Store.CompactAsync(r5 + 1));
        Assert.Equal(r5, await Revision());
    }

    [Fact]
    public async Task Compacting_at_the_current_revision_keeps_every_live_key()
    {
        await Store.PutAsync("/k/a", Bytes("1"));
        await Store.PutAsync("/k/a", Bytes("2"));
        await Store.PutAsync("/k/b", Bytes("b"));
        await Store.PutAsync("/k/gone", Bytes("x"));
        await Store.DeleteAsync("/k/gone");
        var r = await Revision();

        await Store.CompactAsync(r);

        Assert.Equal(["/k/a=2", "/k/b=b"], (await Store.RangeAsync(KeyRange.Prefix("/k/"))).Kvs.Select(kv => $"{kv.Key}={Text(kv.Value)}"));
        Assert.Equal(r + 1, await Store.PutAsync("/k/c", Bytes("c")));
    }

    // ---- leases ----

    [Fact]
    public async Task A_key_put_with_a_lease_carries_it_and_an_unknown_lease_is_refused()
    {
        var lease = await Store.GrantLeaseAsync(60);
        var r = await Revision();

        await Store.PutAsync("/l/a", Bytes("1"), lease);

        Assert.Equal(lease, (await Store.GetAsync("/l/a"))!.Lease);
        Assert.Equal(r + 1, await Revision()); // granting is not a write
        var unknown = lease ^ 0x5a5a;
        var e = await Assert.ThrowsAsync<LeaseNotFoundException>(() => Store.PutAsync("/l/b", Bytes("2"), unknown));
        Assert.Equal(unknown, e.LeaseId);
        Assert.Null(await Store.GetAsync("/l/b"));
    }

    [Fact]
    public async Task An_expired_lease_deletes_its_keys_with_delete_events()
    {
        var lease = await Store.GrantLeaseAsync(1);
        var put = await Store.PutAsync("/l/a", Bytes("1"), lease);
        await Store.PutAsync("/l/kept", Bytes("no lease"));

        await using var watch = new WatchReader(Store, KeyRange.Prefix("/l/"), put + 2);
        var expired = await watch.NextAsync();

        Assert.Equal((WatchEventType.Delete, "/l/a"), (expired.Type, expired.Kv.Key));
        Assert.Equal("1", Text(expired.PrevKv!.Value));
        Assert.Null(await Store.GetAsync("/l/a"));
        Assert.NotNull(await Store.GetAsync("/l/kept"));
        await Assert.ThrowsAsync<LeaseNotFoundException>(() => Store.KeepAliveAsync(lease));
    }

    [Fact]
    public async Task Keep_alive_keeps_a_lease_and_its_keys()
    {
        var lease = await Store.GrantLeaseAsync(2);
        await Store.PutAsync("/l/a", Bytes("1"), lease);

        // Well past the TTL, refreshed far more often than it needs.
        var until = DateTime.UtcNow.AddSeconds(4);
        while (DateTime.UtcNow < until)
        {
            Assert.True(await Store.KeepAliveAsync(lease) >= 2);
            await Task.Delay(250);
        }

        Assert.NotNull(await Store.GetAsync("/l/a"));
    }

    [Fact]
    public async Task Revoke_deletes_the_leases_keys_at_once_in_one_revision()
    {
        var lease = await Store.GrantLeaseAsync(60);
        await Store.PutAsync("/l/a", Bytes("1"), lease);
        await Store.PutAsync("/l/b", Bytes("2"), lease);
        var r = await Revision();

        await Store.RevokeLeaseAsync(lease);

        Assert.Empty((await Store.RangeAsync(KeyRange.Prefix("/l/"))).Kvs);
        Assert.Equal(r + 1, await Revision());
        await Assert.ThrowsAsync<LeaseNotFoundException>(() => Store.KeepAliveAsync(lease));
        await Store.RevokeLeaseAsync(lease); // unknown leases are ignored
        Assert.Equal(r + 1, await Revision());
    }

    [Fact]
    public async Task Keep_alive_of_an_unknown_lease_throws()
    {
        var e = await Assert.ThrowsAsync<LeaseNotFoundException>(() => Store.KeepAliveAsync(0x1234));
        Assert.Equal(0x1234, e.LeaseId);
    }

    [Fact]
    public async Task A_put_without_a_lease_detaches_the_key_from_its_lease()
    {
        var lease = await Store.GrantLeaseAsync(60);
        await Store.PutAsync("/l/a", Bytes("1"), lease);
        await Store.PutAsync("/l/a", Bytes("2"));

        await Store.RevokeLeaseAsync(lease);

        Assert.Equal(0, (await Store.GetAsync("/l/a"))!.Lease);
    }

    // ---- concurrency ----

    [Fact]
    public async Task Concurrent_compare_and_swap_increments_lose_no_update()
    {
        const int writers = 16, increments = 50;
        await Store.PutAsync("/counter", Bytes("0"));

        await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < increments; i++)
            {
                while (true)
                {
                    var kv = (await Store.GetAsync("/counter"))!;
                    var next = long.Parse(Text(kv.Value)) + 1;
                    if (await Store.UpdateAsync("/counter", kv.ModRevision, Bytes(next.ToString())) is not null)
                        break;
                }
            }
        })));

        var counter = (await Store.GetAsync("/counter"))!;
        Assert.Equal(writers * increments, long.Parse(Text(counter.Value)));
        Assert.Equal(writers * increments + 1, counter.Version);
    }
}
