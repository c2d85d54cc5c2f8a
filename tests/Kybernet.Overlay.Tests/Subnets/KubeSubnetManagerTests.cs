using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kybernet.Controllers.Tests;
using Kybernet.Overlay.Subnets;
using Microsoft.Extensions.Logging.Testing;

namespace Kybernet.Overlay.Tests.Subnets;

/// <summary>The kube subnet manager against a real in-process API server (one per test) and the real node IPAM controller.</summary>
public sealed class KubeSubnetManagerTests : IAsyncLifetime
{
    private const string Prefix = "flannel.alpha.coreos.com/";
    private TestApiServer _server = null!;
    private readonly string _dir = Directory.CreateTempSubdirectory("kyt-kubesm-").FullName;
    private readonly List<FakeLogCollector> _logs = [];

    private string NetConf => Path.Combine(_dir, "net-conf.json");

    public async Task InitializeAsync()
    {
        _server = await TestApiServer.StartAsync();
        await File.WriteAllTextAsync(NetConf, """{"Network":"10.244.0.0/16","Backend":{"Type":"vxlan"}}""");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>A node's manager, on a client of its own.</summary>
    private KubeSubnetManager Manager(string node, out FakeLogCollector log)
    {
        log = new FakeLogCollector();
        _logs.Add(log);
        return new KubeSubnetManager(_server.NewClient(), new KubeSubnetManagerOptions { NodeName = node, NetConfPath = NetConf, Log = new FakeLogger(log) });
    }

    private KubeSubnetManager Manager(string node) => Manager(node, out _);

    private static JsonObject Vtep(string mac) => new() { ["VNI"] = 1, ["VtepMAC"] = mac };

    private static IPAddress Ip(int host) => IPAddress.Parse($"192.168.200.{host}");

    private static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TestApiServer.Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"not within {TestApiServer.Patience}: {what}");
            await Task.Delay(20);
        }
    }

    private async Task<IDictionary<string, string>> Annotations(string node) =>
        (await _server.Client.CoreV1.ReadNodeAsync(node)).Metadata.Annotations ?? new Dictionary<string, string>();

    [Fact]
    public async Task The_network_config_comes_from_net_conf_json()
    {
        var config = await Manager("n1").GetNetworkConfigAsync();
        Assert.Equal(IPNetwork.Parse("10.244.0.0/16"), config.Network);
        Assert.Equal("vxlan", config.BackendType);

        File.Delete(NetConf);
        var missing = await Assert.ThrowsAsync<NetworkConfigException>(() => Manager("n1").GetNetworkConfigAsync());
        Assert.Contains(NetConf, missing.Message);
    }

    [Fact]
    public async Task Acquire_waits_for_the_node_and_its_pod_cidr_then_annotates_the_node_as_flannel_does()
    {
        var manager = Manager("n1", out var log);
        // subnet.env's previous subnet plays no part in kube mode.
        var acquiring = manager.AcquireLeaseAsync(Ip(11), "vxlan", Vtep("aa:bb:cc:00:00:01"), IPNetwork.Parse("10.244.9.0/24"));
        await Eventually(() => log.Text().Contains("waiting for node n1 to be registered"), "the manager says it waits for the node");
        Assert.False(acquiring.IsCompleted);

        await _server.CreateNodeAsync("n1");
        await Eventually(() => log.Text().Contains("waiting for node n1 to get spec.podCIDR"), "the manager says it waits for the podCIDR");
        Assert.False(acquiring.IsCompleted);

        await using var controller = new RunningController(_server);
        var lease = await acquiring.WaitAsync(TestApiServer.Patience);
        Assert.Equal(IPNetwork.Parse("10.244.0.0/24"), lease.Subnet);
        Assert.Equal(Ip(11), lease.PublicIp);
        Assert.Equal("vxlan", lease.BackendType);
        Assert.True(lease.Expiration > DateTimeOffset.UtcNow.AddHours(23));

        var annotations = await Annotations("n1");
        Assert.Equal("192.168.200.11", annotations[Prefix + "public-ip"]);
        Assert.Equal("vxlan", annotations[Prefix + "backend-type"]);
        Assert.Equal("""{"VNI":1,"VtepMAC":"aa:bb:cc:00:00:01"}""", annotations[Prefix + "backend-data"]);
        Assert.Equal("true", annotations[Prefix + "kube-subnet-manager"]);
        // And so kubectl shows them.
        Assert.Equal("192.168.200.11", _server.Kubectl.Ok("get", "node", "n1", "-o", @"jsonpath={.metadata.annotations.flannel\.alpha\.coreos\.com/public-ip}"));

        // A backend without data (host-gw) publishes flannel's "null".
        await Manager("n1").AcquireLeaseAsync(Ip(11), "host-gw", []);
        Assert.Equal("null", (await Annotations("n1"))[Prefix + "backend-data"]);
    }

    [Fact]
    public async Task A_pod_cidr_outside_the_network_is_refused_naming_both()
    {
        await _server.CreateNodeAsync("n1", "10.99.1.0/24");
        var e = await Assert.ThrowsAsync<NetworkConfigException>(() => Manager("n1").AcquireLeaseAsync(Ip(11), "vxlan", Vtep("aa:bb:cc:00:00:01")));
        Assert.Contains("10.99.1.0/24", e.Message);
        Assert.Contains("10.244.0.0/16", e.Message);
        Assert.DoesNotContain(Prefix + "public-ip", (await Annotations("n1")).Keys);
    }

    [Fact]
    public async Task Two_managers_see_each_others_leases_changes_and_removals()
    {
        await using var controller = new RunningController(_server);
        await _server.CreateNodeAsync("n1");
        await _server.CreateNodeAsync("n2");
        var one = Manager("n1");
        var two = Manager("n2");
        var lease1 = await one.AcquireLeaseAsync(Ip(11), "vxlan", Vtep("aa:bb:cc:00:00:01"));

        await using var watch = new LeaseWatch(one);
        var first = await watch.NextAsync();
        Assert.Empty(first.Events); // only the other nodes' leases, and n2 has none yet

        var lease2 = await two.AcquireLeaseAsync(Ip(12), "vxlan", Vtep("aa:bb:cc:00:00:02"));
        Assert.NotEqual(lease1.Subnet, lease2.Subnet);
        var added = (await watch.UntilAsync(e => e.Type == LeaseEventType.Added)).Single(e => e.Type == LeaseEventType.Added).Lease;
        Assert.Equal(lease2.Subnet, added.Subnet);
        Assert.Equal(Ip(12), added.PublicIp);
        Assert.Equal("vxlan", added.BackendType);
        Assert.Equal("aa:bb:cc:00:00:02", added.BackendData["VtepMAC"]!.GetValue<string>());

        // n2's watch starts with n1's lease, never its own.
        await using (var watch2 = new LeaseWatch(two))
        {
            var initial = await watch2.NextAsync();
            Assert.Equal([(LeaseEventType.Added, lease1.Subnet)], initial.Events.Select(e => (e.Type, e.Lease.Subnet)));
        }

        // New backend data (a recreated VTEP) is Added again; an update that changes no lease (a label) makes no batch.
        await two.AcquireLeaseAsync(Ip(12), "vxlan", Vtep("aa:bb:cc:00:00:22"));
        var changed = await watch.NextAsync();
        Assert.Equal([(LeaseEventType.Added, "aa:bb:cc:00:00:22")], changed.Events.Select(e => (e.Type, e.Lease.BackendData["VtepMAC"]!.GetValue<string>())));
        await _server.Client.CoreV1.PatchNodeAsync(new V1Patch("""{"metadata":{"labels":{"heartbeat":"1"}}}""", V1Patch.PatchType.MergePatch), "n2");

        // Release removes the annotations: Removed. Acquire again: Added. Deleting the node: Removed.
        await two.ReleaseLeaseAsync(lease2);
        Assert.DoesNotContain(Prefix + "public-ip", (await Annotations("n2")).Keys);
        Assert.DoesNotContain(Prefix + "kube-subnet-manager", (await Annotations("n2")).Keys);
        var released = await watch.NextAsync();
        Assert.Equal([(LeaseEventType.Removed, lease2.Subnet)], released.Events.Select(e => (e.Type, e.Lease.Subnet)));

        await two.AcquireLeaseAsync(Ip(12), "vxlan", Vtep("aa:bb:cc:00:00:02"));
        Assert.Equal([(LeaseEventType.Added, lease2.Subnet)], (await watch.NextAsync()).Events.Select(e => (e.Type, e.Lease.Subnet)));

        var resumeFrom = (await _server.Client.CoreV1.ListNodeAsync()).Metadata.ResourceVersion;
        _server.Kubectl.Ok("delete", "node", "n2");
        var deleted = await watch.NextAsync();
        Assert.Equal([(LeaseEventType.Removed, lease2.Subnet)], deleted.Events.Select(e => (e.Type, e.Lease.Subnet)));
        Assert.Equal(Ip(12), deleted.Events[0].Lease.PublicIp);

        // A watch resumed from a batch's revision + 1 sees what came after it.
        await using var resumed = new LeaseWatch(one, long.Parse(resumeFrom) + 1);
        Assert.Equal([(LeaseEventType.Removed, lease2.Subnet)], (await resumed.NextAsync()).Events.Select(e => (e.Type, e.Lease.Subnet)));
    }

    [Fact]
    public async Task Renew_restores_missing_annotations_and_reports_a_deleted_node_as_lost()
    {
        await _server.CreateNodeAsync("n1", "10.244.5.0/24");
        var manager = Manager("n1");
        var lease = await manager.AcquireLeaseAsync(Ip(11), "vxlan", Vtep("aa:bb:cc:00:00:01"));
        Assert.Equal(IPNetwork.Parse("10.244.5.0/24"), lease.Subnet);

        _server.Kubectl.Ok("annotate", "node", "n1", Prefix + "public-ip-", Prefix + "backend-data-");
        var renewed = await manager.RenewLeaseAsync(lease);
        Assert.True(renewed.Expiration >= lease.Expiration);
        var annotations = await Annotations("n1");
        Assert.Equal("192.168.200.11", annotations[Prefix + "public-ip"]);
        Assert.Equal("""{"VNI":1,"VtepMAC":"aa:bb:cc:00:00:01"}""", annotations[Prefix + "backend-data"]);

        await _server.DeleteNodeAsync("n1");
        var lost = await Assert.ThrowsAsync<SubnetLostException>(() => manager.RenewLeaseAsync(lease));
        Assert.Contains("node n1 was deleted", lost.Message);
        await manager.ReleaseLeaseAsync(lease); // nothing to release: no error
    }
}
