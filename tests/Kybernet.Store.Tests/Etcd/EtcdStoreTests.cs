using System.Text;
using System.Text.Json;
using Kybernet.Store.Etcd;

namespace Kybernet.Store.Tests.Etcd;

/// <summary>
/// EtcdStore against a real etcd (one per class; each test under a key prefix of its own). Tests in
/// one class run one at a time, so revision arithmetic holds: nobody else writes to this etcd.
/// </summary>
public sealed class EtcdStoreTests(EtcdServer etcd) : IClassFixture<EtcdServer>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private EtcdStore _store = null!;
    private string _prefix = "";

    public Task InitializeAsync()
    {
        _store = etcd.NewStore(out _prefix);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);
    private static string S(ReadOnlyMemory<byte> b) => Encoding.UTF8.GetString(b.Span);

    [Fact]
    public async Task Each_write_is_one_revision_with_key_bookkeeping()
    {
        var before = await _store.CurrentRevisionAsync();
        var r1 = await _store.PutAsync("/a", B("1"));
        var r2 = await _store.PutAsync("/a", B("2"));
        Assert.Equal(before + 1, r1);
        Assert.Equal(before + 2, r2);
        Assert.Equal(r2, await _store.CurrentRevisionAsync());

        var kv = await _store.GetAsync("/a");
        Assert.NotNull(kv);
        Assert.Equal(("/a", "2", r1, r2, 2L), (kv.Key, S(kv.Value), kv.CreateRevision, kv.ModRevision, kv.Version));

        // A transaction of several writes is one revision.
        var txn = await _store.TxnAsync(new Txn([], [new TxnOp.Put("/b", B("b")), new TxnOp.Put("/c", B("c"))], []));
        Assert.Equal(r2 + 1, txn.Revision);
        Assert.Equal(txn.Revision, (await _store.GetAsync("/c"))!.CreateRevision);
    }

    [Fact]
    public async Task Range_by_prefix_with_limit_and_at_an_old_revision()
    {
        await _store.PutAsync("/pods/x", B("x1"));
        var old = await _store.PutAsync("/pods/y", B("y1"));
        await _store.PutAsync("/pods/y", B("y2"));
        await _store.PutAsync("/podsz", B("not under /pods/"));
        await _store.PutAsync("/services/s", B("s"));

        var all = await _store.RangeAsync(KeyRange.Prefix("/pods/"));
        Assert.Equal(["/pods/x", "/pods/y"], all.Kvs.Select(k => k.Key));
        Assert.Equal((2L, false), (all.Count, all.More));
        Assert.Equal(await _store.CurrentRevisionAsync(), all.Revision);

        var first = await _store.RangeAsync(KeyRange.Prefix("/pods/"), limit: 1);
        Assert.Equal(["/pods/x"], first.Kvs.Select(k => k.Key));
        Assert.Equal((2L, true), (first.Count, first.More));

        var then = await _store.RangeAsync(KeyRange.Prefix("/pods/"), revision: old);
        Assert.Equal(old, then.Revision);
        Assert.Equal(["x1", "y1"], then.Kvs.Select(k => S(k.Value)));

        Assert.Empty((await _store.RangeAsync(KeyRange.Single("/pods/"))).Kvs);
        Assert.Single((await _store.RangeAsync(KeyRange.Single("/podsz"))).Kvs);
    }

    [Fact]
    public async Task A_future_revision_is_refused_with_the_current_one()
    {
        var current = await _store.CurrentRevisionAsync();
        var e = await Assert.ThrowsAsync<FutureRevisionException>(() => _store.RangeAsync(KeyRange.Single("/a"), current + 100));
        Assert.Contains(current.ToString(), e.Message);
    }

    [Fact]
    public async Task Compare_and_swap_create_update_delete_with_conflicts()
    {
        var created = await _store.CreateAsync("/k", B("v1"));
        Assert.NotNull(created);
        Assert.Null(await _store.CreateAsync("/k", B("again")));

        var updated = await _store.UpdateAsync("/k", created.Value, B("v2"));
        Assert.NotNull(updated);
        Assert.Null(await _store.UpdateAsync("/k", created.Value, B("stale")));
        Assert.Equal("v2", S((await _store.GetAsync("/k"))!.Value));

        Assert.Null(await _store.DeleteAsync("/k", created.Value));
        var deleted = await _store.DeleteAsync("/k", updated.Value);
        Assert.NotNull(deleted);
        Assert.Equal(("/k", "v2", updated.Value), (deleted.Key, S(deleted.Value), deleted.ModRevision));
        Assert.Null(await _store.GetAsync("/k"));
        Assert.Null(await _store.DeleteAsync("/k"));
    }

    [Fact]
    public async Task Txn_runs_the_branch_its_compares_choose_and_returns_each_ops_result()
    {
        var rev = await _store.PutAsync("/t", B("old"));

        var ok = await _store.TxnAsync(new Txn(
            [Compare.ModRevision("/t", CompareOp.Equal, rev), Compare.Version("/t", CompareOp.Greater, 0), Compare.ValueIs("/t", CompareOp.Equal, B("old"))],
            [new TxnOp.Put("/t", B("new")), new TxnOp.Get(KeyRange.Single("/t")), new TxnOp.Delete(KeyRange.Single("/u"))],
            [new TxnOp.Get(KeyRange.Single("/t"))]));
        Assert.True(ok.Succeeded);
        Assert.Equal(rev + 1, ok.Revision);
        Assert.Equal("old", S(Assert.IsType<TxnOpResult.Put>(ok.Results[0]).PrevKv!.Value));
        Assert.Equal("new", S(Assert.Single(Assert.IsType<TxnOpResult.Get>(ok.Results[1]).Kvs).Value));
        Assert.Empty(Assert.IsType<TxnOpResult.Delete>(ok.Results[2]).Deleted);

        var failed = await _store.TxnAsync(new Txn(
            [Compare.CreateRevision("/t", CompareOp.NotEqual, rev), Compare.ValueIs("/t", CompareOp.Equal, B("old"))],
            [new TxnOp.Delete(KeyRange.Single("/t"))],
            [new TxnOp.Get(KeyRange.Prefix("/t"))]));
        Assert.False(failed.Succeeded);
        Assert.Equal(rev + 1, failed.Revision); // nothing written
        Assert.Equal("new", S(Assert.Single(Assert.IsType<TxnOpResult.Get>(Assert.Single(failed.Results)).Kvs).Value));

        var less = await _store.TxnAsync(new Txn([Compare.ModRevision("/t", CompareOp.Less, rev + 2)], [new TxnOp.Delete(KeyRange.Prefix("/"))], []));
        Assert.True(less.Succeeded);
        Assert.Equal(["/t"], Assert.IsType<TxnOpResult.Delete>(Assert.Single(less.Results)).Deleted.Select(k => k.Key));
    }

    [Fact]
    public async Task Watch_from_a_past_revision_replays_then_goes_live_filtered_by_prefix()
    {
        var from = await _store.PutAsync("/w/a", B("1"));
        await _store.PutAsync("/other", B("not watched"));
        await _store.PutAsync("/w/b", B("2"));

        using var cts = new CancellationTokenSource(Patience);
        await using var events = _store.WatchAsync(KeyRange.Prefix("/w/"), from, cts.Token).GetAsyncEnumerator(cts.Token);
        async Task<WatchEvent> NextAsync()
        {
            Assert.True(await events.MoveNextAsync());
            return events.Current;
        }

        var e1 = await NextAsync();
        Assert.Equal((WatchEventType.Put, "/w/a", "1", from), (e1.Type, e1.Kv.Key, S(e1.Kv.Value), e1.Kv.ModRevision));
        Assert.Equal("/w/b", (await NextAsync()).Kv.Key);

        // Live: written after the replay was read.
        var update = await _store.PutAsync("/w/a", B("3"));
        var e3 = await NextAsync();
        Assert.Equal((WatchEventType.Put, "/w/a", update), (e3.Type, e3.Kv.Key, e3.Kv.ModRevision));
        Assert.Equal("1", S(e3.PrevKv!.Value));

        var deleted = await _store.DeleteAsync("/w/a");
        var e4 = await NextAsync();
        Assert.Equal(WatchEventType.Delete, e4.Type);
        Assert.Equal(("/w/a", 0), (e4.Kv.Key, e4.Kv.Value.Length));
        Assert.Equal(await _store.CurrentRevisionAsync(), e4.Kv.ModRevision);
        Assert.Equal(("3", update), (S(e4.PrevKv!.Value), e4.PrevKv.ModRevision));
        Assert.Equal(deleted!.ModRevision, e4.PrevKv.ModRevision);
    }

    [Fact]
    public async Task Watch_from_now_sees_only_later_writes_and_ends_when_cancelled()
    {
        await _store.PutAsync("/n/before", B("x"));
        using var cts = new CancellationTokenSource(Patience);
        var seen = new List<WatchEvent>();
        var watching = Task.Run(async () =>
        {
            await foreach (var e in _store.WatchAsync(KeyRange.Prefix("/n/"), 0, cts.Token))
            {
                seen.Add(e);
                if (e.Kv.Key == "/n/last") cts.Cancel();
            }
        });
        // The watch may start a little later than this put; writing until it is seen avoids a sleep.
        while (!watching.IsCompleted && !cts.IsCancellationRequested)
        {
            await _store.PutAsync("/n/last", B("y"));
            await Task.WhenAny(watching, Task.Delay(200));
        }
        await watching;
        Assert.DoesNotContain(seen, e => e.Kv.Key == "/n/before");
        Assert.Equal("/n/last", seen[^1].Kv.Key);
    }

    [Fact]
    public async Task Compaction_refuses_older_ranges_and_watches()
    {
        var old = await _store.PutAsync("/c", B("1"));
        var kept = await _store.PutAsync("/c", B("2"));
        await _store.CompactAsync(kept);

        var range = await Assert.ThrowsAsync<CompactedException>(() => _store.RangeAsync(KeyRange.Single("/c"), old));
        Assert.Equal((old, kept), (range.Requested, range.CompactRevision));

        using var cts = new CancellationTokenSource(Patience);
        var watch = await Assert.ThrowsAsync<CompactedException>(async () =>
        {
            await foreach (var _ in _store.WatchAsync(KeyRange.Single("/c"), old, cts.Token)) { }
        });
        Assert.Equal((old, kept), (watch.Requested, watch.CompactRevision));

        // The compaction revision itself is still readable and watchable.
        Assert.Equal("2", S(Assert.Single((await _store.RangeAsync(KeyRange.Single("/c"), kept)).Kvs).Value));
        await foreach (var e in _store.WatchAsync(KeyRange.Single("/c"), kept, cts.Token))
        {
            Assert.Equal(kept, e.Kv.ModRevision);
            break;
        }
    }

    [Fact]
    public async Task An_expired_lease_deletes_its_keys_with_a_delete_event()
    {
        var lease = await _store.GrantLeaseAsync(1);
        var put = await _store.PutAsync("/lease/k", B("v"), lease);
        Assert.Equal(lease, (await _store.GetAsync("/lease/k"))!.Lease);

        // etcd expires the lease on its own clock; wait for the delete event, bounded, no timing asserted.
        using var cts = new CancellationTokenSource(Patience);
        await foreach (var e in _store.WatchAsync(KeyRange.Single("/lease/k"), put + 1, cts.Token))
        {
            Assert.Equal(WatchEventType.Delete, e.Type);
            Assert.Equal(lease, e.PrevKv!.Lease);
            break;
        }
        Assert.Null(await _store.GetAsync("/lease/k"));
        await Assert.ThrowsAsync<LeaseNotFoundException>(() => _store.KeepAliveAsync(lease));
    }

    [Fact]
    public async Task Keep_alive_returns_the_ttl_and_revoke_deletes_the_keys()
    {
        var lease = await _store.GrantLeaseAsync(30);
        await _store.PutAsync("/lease/a", B("a"), lease);
        await _store.PutAsync("/lease/b", B("b"), lease);
        Assert.Equal(30, await _store.KeepAliveAsync(lease));

        await _store.RevokeLeaseAsync(lease);
        Assert.Empty((await _store.RangeAsync(KeyRange.Prefix("/lease/"))).Kvs);
        await Assert.ThrowsAsync<LeaseNotFoundException>(() => _store.KeepAliveAsync(lease));
        await _store.RevokeLeaseAsync(lease); // unknown leases are ignored
    }

    [Fact]
    public async Task Unknown_leases_are_refused_by_keep_alive_and_put()
    {
        const long unknown = 0x7eadbeef;
        var e = await Assert.ThrowsAsync<LeaseNotFoundException>(() => _store.KeepAliveAsync(unknown));
        Assert.Equal(unknown, e.LeaseId);
        Assert.Equal(unknown, (await Assert.ThrowsAsync<LeaseNotFoundException>(() => _store.PutAsync("/l", B("v"), unknown))).LeaseId);
        await _store.RevokeLeaseAsync(unknown);
    }

    [Fact]
    public async Task Keys_live_under_the_prefix_where_etcdctl_finds_them()
    {
        await _store.PutAsync("/coreos.com/network/subnets/10.244.1.0-24", B("""{"PublicIP":"192.168.50.11"}"""));

        var json = await etcd.EtcdctlAsync("get", "--prefix", _prefix + "/coreos.com/network/", "--write-out=json");
        var kv = Assert.Single(JsonDocument.Parse(json).RootElement.GetProperty("kvs").EnumerateArray());
        // etcdctl's JSON carries keys and values base64-encoded.
        Assert.Equal(_prefix + "/coreos.com/network/subnets/10.244.1.0-24", Encoding.UTF8.GetString(kv.GetProperty("key").GetBytesFromBase64()));
        Assert.Equal("""{"PublicIP":"192.168.50.11"}""", Encoding.UTF8.GetString(kv.GetProperty("value").GetBytesFromBase64()));

        // And the other way: what etcdctl writes under the prefix, the store reads relative to it.
        await etcd.EtcdctlAsync("put", _prefix + "/from-etcdctl", "hello");
        Assert.Equal("hello", S((await _store.GetAsync("/from-etcdctl"))!.Value));
    }

    [Fact]
    public async Task Errors_name_the_operation_and_the_key()
    {
        // etcd refuses two writes to one key in one txn.
        var e = await Assert.ThrowsAsync<EtcdStoreException>(() => _store.TxnAsync(new Txn([], [new TxnOp.Put("/dup", B("1")), new TxnOp.Put("/dup", B("2"))], [])));
        Assert.Contains("txn", e.Message);
        Assert.Contains(_prefix + "/dup", e.Message);
        Assert.Contains("duplicate key", e.Message);
    }
}

public sealed class EtcdStoreOptionsTests
{
    [Theory]
    [InlineData("http://127.0.0.1:2379,http://127.0.0.1:22379", "http://127.0.0.1:2379/ http://127.0.0.1:22379/", "")]
    [InlineData("etcd://127.0.0.1:2379,10.0.0.2:2379", "http://127.0.0.1:2379/ http://10.0.0.2:2379/", "")]
    [InlineData("etcd://127.0.0.1:2379/registry/", "http://127.0.0.1:2379/", "/registry")]
    [InlineData("127.0.0.1:2379", "http://127.0.0.1:2379/", "")]
    public void Endpoints_parse_in_every_accepted_form(string text, string endpoints, string prefix)
    {
        var options = EtcdStoreOptions.Parse(text);
        Assert.Equal(endpoints, string.Join(' ', options.Endpoints));
        Assert.Equal(prefix, options.KeyPrefix);
    }

    [Theory]
    [InlineData("")]
    [InlineData("127.0.0.1")]
    [InlineData("https://127.0.0.1:2379")]
    [InlineData("etcd://")]
    public void Bad_endpoints_are_refused(string text)
    {
        var e = Assert.ThrowsAny<Exception>(() => EtcdStoreOptions.Parse(text));
        Assert.True(e is FormatException or ArgumentException, e.ToString());
    }
}
