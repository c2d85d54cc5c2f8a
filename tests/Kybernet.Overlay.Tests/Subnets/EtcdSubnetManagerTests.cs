using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kybernet.Overlay.Subnets;
using Kybernet.Store;
using Kybernet.Store.Etcd;
using Kybernet.Store.Tests;

namespace Kybernet.Overlay.Tests.Subnets;

/// <summary>The etcd subnet manager against a real etcd; every test under a key prefix of its own.</summary>
public sealed class EtcdSubnetManagerTests(EtcdServer etcd) : IClassFixture<EtcdServer>, IAsyncLifetime
{
    private const string Network16 = """{"Network":"10.244.0.0/16","Backend":{"Type":"vxlan","VNI":1,"Port":8472}}""";
    private readonly List<EtcdStore> _stores = [];
    private string _prefix = "";
    private EtcdStore _store = null!;

    public Task InitializeAsync()
    {
        _store = etcd.NewStore(out _prefix);
        _stores.Add(_store);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }
    }

    private async Task ConfigureAsync(string json) =>
        await _store.PutAsync("/coreos.com/network/config", Encoding.UTF8.GetBytes(json));

    /// <summary>A node: a manager over a connection of its own, under this test's prefix.</summary>
    private EtcdSubnetManager Node(int ttlSeconds = 3600)
    {
        var store = new EtcdStore(etcd.Endpoints, _prefix);
        _stores.Add(store);
        return new EtcdSubnetManager(store, new EtcdSubnetManagerOptions { LeaseTtl = TimeSpan.FromSeconds(ttlSeconds) });
    }

    private static JsonObject Vtep(string mac) => new() { ["VNI"] = 1, ["VtepMAC"] = mac };

    private static IPAddress Ip(int host) => IPAddress.Parse($"192.168.200.{host}");

    [Fact]
    public async Task Reads_the_network_config_from_the_config_key()
    {
        var node = Node();
        var missing = await Assert.ThrowsAsync<NetworkConfigException>(() => node.GetNetworkConfigAsync());
        Assert.Contains("/coreos.com/network/config", missing.Message);

        await ConfigureAsync(Network16);
        var config = await node.GetNetworkConfigAsync();
        Assert.Equal(IPNetwork.Parse("10.244.0.0/16"), config.Network);
        Assert.Equal("vxlan", config.BackendType);
    }

    [Fact]
    public async Task Three_nodes_get_three_distinct_subnets_lowest_first()
    {
        await ConfigureAsync(Network16);
        var leases = new List<SubnetLease>();
        for (var i = 1; i <= 3; i++)
        {
            leases.Add(await Node().AcquireLeaseAsync(Ip(10 + i), "vxlan", Vtep($"aa:00:00:00:00:0{i}")));
        }
        Assert.Equal(["10.244.1.0/24", "10.244.2.0/24", "10.244.3.0/24"], leases.Select(l => l.Subnet.ToString()));
        Assert.Equal([Ip(11), Ip(12), Ip(13)], leases.Select(l => l.PublicIp));
        Assert.All(leases, l => Assert.True(l.Expiration > DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task Sixteen_concurrent_acquisitions_never_collide()
    {
        await ConfigureAsync(Network16);
        var nodes = Enumerable.Range(1, 16).Select(_ => Node()).ToList();
        using var go = new SemaphoreSlim(0);
        var acquisitions = nodes.Select((node, i) => Task.Run(async () =>
        {
            await go.WaitAsync();
            return await node.AcquireLeaseAsync(Ip(100 + i), "vxlan", Vtep($"aa:00:00:00:01:{i:x2}"));
        })).ToList();
        go.Release(nodes.Count);
        var leases = await Task.WhenAll(acquisitions);

        Assert.Equal(16, leases.Select(l => l.Subnet).Distinct().Count());
        // The store agrees: 16 keys, each naming the node that got it.
        var stored = await _store.RangeAsync(KeyRange.Prefix("/coreos.com/network/subnets/"));
        Assert.Equal(16, stored.Kvs.Count);
        foreach (var lease in leases)
        {
            var kv = Assert.Single(stored.Kvs, kv => kv.Key == $"/coreos.com/network/subnets/{lease.KeyName}");
            Assert.Equal(lease.PublicIp.ToString(), JsonNode.Parse(kv.Value.Span)!["PublicIP"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task A_restarted_node_with_the_same_public_ip_gets_its_subnet_back_with_its_new_data()
    {
        await ConfigureAsync(Network16);
        var first = await Node().AcquireLeaseAsync(Ip(11), "vxlan", Vtep("aa:00:00:00:00:01"));
        var other = await Node().AcquireLeaseAsync(Ip(12), "vxlan", Vtep("aa:00:00:00:00:02"));

        var again = await Node().AcquireLeaseAsync(Ip(11), "vxlan", Vtep("aa:00:00:00:00:99"));

        Assert.Equal(first.Subnet, again.Subnet);
        Assert.NotEqual(other.Subnet, again.Subnet);
        var kv = await _store.GetAsync($"/coreos.com/network/subnets/{again.KeyName}");
        Assert.Equal("aa:00:00:00:00:99", JsonNode.Parse(kv!.Value.Span)!["BackendData"]!["VtepMAC"]!.GetValue<string>());
        Assert.Equal(2, (await _store.RangeAsync(KeyRange.Prefix("/coreos.com/network/subnets/"))).Kvs.Count);
    }

    [Fact]
    public async Task The_previous_subnet_from_subnet_env_is_honoured_when_free()
    {
        await ConfigureAsync(Network16);
        var seven = IPNetwork.Parse("10.244.7.0/24");

        var a = await Node().AcquireLeaseAsync(Ip(11), "vxlan", Vtep("aa:00:00:00:00:01"), previousSubnet: seven);
        var b = await Node().AcquireLeaseAsync(Ip(12), "vxlan", Vtep("aa:00:00:00:00:02"), previousSubnet: seven);
        var c = await Node().AcquireLeaseAsync(Ip(13), "vxlan", Vtep("aa:00:00:00:00:03"), previousSubnet: IPNetwork.Parse("10.245.7.0/24"));

        Assert.Equal(seven, a.Subnet);
        Assert.Equal(IPNetwork.Parse("10.244.1.0/24"), b.Subnet); // taken: the lowest free one instead
        Assert.Equal(IPNetwork.Parse("10.244.2.0/24"), c.Subnet); // outside the network: ignored
    }

    [Fact]
    public async Task A_full_network_is_a_clear_error()
    {
        await ConfigureAsync("""{"Network":"10.244.0.0/28","Backend":{"Type":"vxlan"}}"""); // three /30s: .4, .8, .12
        for (var i = 1; i <= 3; i++)
        {
            await Node().AcquireLeaseAsync(Ip(10 + i), "vxlan", Vtep($"aa:00:00:00:00:0{i}"));
        }
        var error = await Assert.ThrowsAsync<SubnetsExhaustedException>(() => Node().AcquireLeaseAsync(Ip(14), "vxlan", Vtep("aa:00:00:00:00:04")));
        Assert.Contains("192.168.200.14", error.Message);
        Assert.Contains("all 3 /30 subnets", error.Message);
    }

    [Fact]
    public async Task Watch_starts_with_the_current_set_and_sees_others_added_released_and_expired()
    {
        await ConfigureAsync(Network16);
        var watcher = Node();
        var own = await watcher.AcquireLeaseAsync(Ip(10), "vxlan", Vtep("aa:00:00:00:00:10"));
        var early = await Node().AcquireLeaseAsync(Ip(11), "vxlan", Vtep("aa:00:00:00:00:11"));

        await using var watch = new LeaseWatch(watcher);
        var initial = await watch.NextAsync();
        var only = Assert.Single(initial.Events); // the watcher's own lease is not reported
        Assert.Equal((LeaseEventType.Added, early.Subnet, Ip(11)), (only.Type, only.Lease.Subnet, only.Lease.PublicIp));
        Assert.Equal("aa:00:00:00:00:11", only.Lease.BackendData["VtepMAC"]!.GetValue<string>());

        var releasing = Node();
        var b = await releasing.AcquireLeaseAsync(Ip(12), "vxlan", Vtep("aa:00:00:00:00:12"));
        await watch.UntilAsync(e => e.Type == LeaseEventType.Added && e.Lease.Subnet == b.Subnet && e.Lease.PublicIp.Equals(Ip(12)));
        await releasing.ReleaseLeaseAsync(b);
        await watch.UntilAsync(e => e.Type == LeaseEventType.Removed && e.Lease.Subnet == b.Subnet && e.Lease.PublicIp.Equals(Ip(12)));

        // A node that dies: its lease is never renewed, etcd expires it, and the watcher hears of it.
        var c = await Node(ttlSeconds: 2).AcquireLeaseAsync(Ip(13), "vxlan", Vtep("aa:00:00:00:00:13"));
        await watch.UntilAsync(e => e.Type == LeaseEventType.Added && e.Lease.Subnet == c.Subnet);
        var seen = await watch.UntilAsync(e => e.Type == LeaseEventType.Removed && e.Lease.Subnet == c.Subnet && e.Lease.PublicIp.Equals(Ip(13)));
        Assert.DoesNotContain(seen, e => e.Lease.Subnet == own.Subnet || e.Lease.Subnet == early.Subnet);
        Assert.Null(await _store.GetAsync($"/coreos.com/network/subnets/{c.KeyName}"));
    }

    [Fact]
    public async Task Watch_resumes_after_a_batch_revision_and_relists_when_that_revision_was_compacted()
    {
        await ConfigureAsync(Network16);
        var watcher = Node();
        var a = await Node().AcquireLeaseAsync(Ip(11), "vxlan", Vtep("aa:00:00:00:00:11"));
        long resumeAt;
        await using (var first = new LeaseWatch(watcher))
        {
            resumeAt = (await first.NextAsync()).Revision + 1;
        }

        var b = await Node().AcquireLeaseAsync(Ip(12), "vxlan", Vtep("aa:00:00:00:00:12"));
        await using (var resumed = new LeaseWatch(watcher, resumeAt))
        {
            var batch = await resumed.NextAsync();
            var only = Assert.Single(batch.Events); // b only: a was in the first watch's initial set
            Assert.Equal((LeaseEventType.Added, b.Subnet), (only.Type, only.Lease.Subnet));
        }

        // History compacted past the resume point: the watch lists again and reports the whole current set.
        await Node().ReleaseLeaseAsync(a);
        await _store.CompactAsync(await _store.CurrentRevisionAsync());
        await using var relisted = new LeaseWatch(watcher, resumeAt);
        var again = await relisted.NextAsync();
        Assert.Equal([(LeaseEventType.Added, b.Subnet)], again.Events.Select(e => (e.Type, e.Lease.Subnet)));
    }

    [Fact]
    public async Task Renewal_keeps_a_lease_alive_past_its_ttl()
    {
        await ConfigureAsync(Network16);
        var node = Node(ttlSeconds: 2);
        var lease = await node.AcquireLeaseAsync(Ip(11), "vxlan", Vtep("aa:00:00:00:00:01"));
        // Renewing with 1.5 s of 2 s left, twice a TTL: one renewal delayed by a busy machine must not lose the key.
        var renewer = new LeaseRenewer(node, lease, TimeSpan.FromSeconds(2)) { RenewMargin = TimeSpan.FromSeconds(1.5) };
        var renewals = 0;
        renewer.Renewed += _ => Interlocked.Increment(ref renewals);
        using var stop = new CancellationTokenSource();
        var running = renewer.RunAsync(stop.Token);

        // A second, unrenewed lease of the same TTL is the clock: once etcd has expired it, three TTLs have passed.
        var clock = await Node(ttlSeconds: 2).AcquireLeaseAsync(Ip(12), "vxlan", Vtep("aa:00:00:00:00:02"));
        var key = $"/coreos.com/network/subnets/{lease.KeyName}";
        var original = await _store.GetAsync(key);
        for (var i = 0; i < 3; i++)
        {
            var deadline = DateTime.UtcNow + LeaseWatch.Patience;
            while (await _store.GetAsync($"/coreos.com/network/subnets/{clock.KeyName}") is not null && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
            Assert.Null(await _store.GetAsync($"/coreos.com/network/subnets/{clock.KeyName}"));
            if (i < 2)
            {
                clock = await Node(ttlSeconds: 2).AcquireLeaseAsync(Ip(12), "vxlan", Vtep("aa:00:00:00:00:02"));
            }
        }

        var kv = await _store.GetAsync(key);
        Assert.NotNull(kv);
        Assert.Equal(original!.CreateRevision, kv.CreateRevision); // kept alive, never expired and re-created
        Assert.True(renewals >= 2, $"only {renewals} renewals");
        Assert.True(renewer.Current.Expiration > lease.Expiration);

        stop.Cancel();
        await running; // returns normally when cancelled
    }

    [Fact]
    public async Task Renewing_an_expired_lease_recreates_it_if_free_and_reports_it_lost_if_taken()
    {
        await ConfigureAsync(Network16);
        var node = Node(ttlSeconds: 1);
        var lease = await node.AcquireLeaseAsync(Ip(11), "vxlan", Vtep("aa:00:00:00:00:01"));
        var key = $"/coreos.com/network/subnets/{lease.KeyName}";
        await WaitGoneAsync(key);

        var renewed = await node.RenewLeaseAsync(lease);
        Assert.Equal(lease.Subnet, renewed.Subnet);
        Assert.NotNull(await _store.GetAsync(key));

        await WaitGoneAsync(key);
        var thief = await Node().AcquireLeaseAsync(Ip(12), "vxlan", Vtep("aa:00:00:00:00:02"));
        Assert.Equal(lease.Subnet, thief.Subnet);
        var lost = await Assert.ThrowsAsync<SubnetLostException>(() => node.RenewLeaseAsync(lease));
        Assert.Equal(lease.Subnet, lost.Subnet);
    }

    [Fact]
    public async Task The_renewer_stops_with_subnet_lost_when_another_node_holds_the_subnet()
    {
        await ConfigureAsync(Network16);
        var thief = await Node().AcquireLeaseAsync(Ip(12), "vxlan", Vtep("aa:00:00:00:00:02"));
        var stale = thief with { PublicIp = Ip(11), Expiration = DateTimeOffset.UtcNow };
        var renewer = new LeaseRenewer(Node(), stale, TimeSpan.FromSeconds(2));

        using var bound = new CancellationTokenSource(LeaseWatch.Patience);
        var lost = await Assert.ThrowsAsync<SubnetLostException>(() => renewer.RunAsync(bound.Token));
        Assert.Equal(thief.Subnet, lost.Subnet);
        Assert.Contains("192.168.200.12", lost.Message);
    }

    [Fact]
    public async Task Keys_are_where_etcdctl_shows_them_in_flannels_json_shape_on_a_store_lease()
    {
        await ConfigureAsync(Network16);
        var lease = await Node().AcquireLeaseAsync(Ip(11), "vxlan", Vtep("0a:58:0a:f4:01:00"));

        var lines = (await etcd.EtcdctlAsync("get", "--prefix", $"{_prefix}/coreos.com/network")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
        [
            $"{_prefix}/coreos.com/network/config",
            Network16,
            $"{_prefix}/coreos.com/network/subnets/10.244.1.0-24",
            """{"PublicIP":"192.168.200.11","PublicIPv6":null,"BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"0a:58:0a:f4:01:00"}}""",
        ], lines);

        var json = JsonDocument.Parse(await etcd.EtcdctlAsync("get", $"{_prefix}/coreos.com/network/subnets/{lease.KeyName}", "--write-out=json"));
        var leaseId = json.RootElement.GetProperty("kvs")[0].GetProperty("lease").GetInt64();
        Assert.NotEqual(0, leaseId);
        var ttl = await etcd.EtcdctlAsync("lease", "timetolive", leaseId.ToString("x"));
        Assert.Contains("granted with TTL(3600s)", ttl);
    }

    private async Task WaitGoneAsync(string key)
    {
        var deadline = DateTime.UtcNow + LeaseWatch.Patience;
        while (await _store.GetAsync(key) is not null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
        Assert.Null(await _store.GetAsync(key));
    }
}
