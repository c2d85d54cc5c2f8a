using System.Net;
using Kybernet.Overlay.Backends;

namespace Kybernet.Overlay.Tests.Backends;

/// <summary>The host-gw backend on two real nodes (namespaces) on one L2 underlay.</summary>
public sealed class HostGwBackendTests : IDisposable
{
    private static readonly NetworkConfig Config = new()
    {
        Network = IPNetwork.Parse("10.244.0.0/16"),
        BackendType = "host-gw",
        Backend = new() { ["Type"] = "host-gw" },
    };
    private readonly TwoNodeLab _lab = new();

    public void Dispose() => _lab.Dispose();

    private Task<(INetwork One, INetwork Two)> Both() => _lab.RegisterBoth(e => new HostGwBackend(e), Config);

    [Fact]
    public async Task Pods_on_two_nodes_ping_each_other_via_the_nodes_addresses()
    {
        var (one, two) = await Both();
        Assert.Equal(1500, one.Mtu);
        Assert.Equal("{}", one.BackendData.ToJsonString());
        one.Apply([two.Lease]);
        two.Apply([one.Lease]);

        Assert.Equal("10.244.2.0/24 via 192.168.200.12", _lab.Node1.Ip("route", "show", "10.244.2.0/24", "dev", "eth0"));
        Assert.True(_lab.Node1.Ping(_lab.Node2.PodIp), "pod1 -> pod2");
        Assert.True(_lab.Node2.Ping(_lab.Node1.PodIp, "-M", "do", "-s", "1472"), "1500-byte packet with DF set, pod2 -> pod1");

        var before = _lab.Node1.Snapshot();
        one.Apply([two.Lease]);
        Assert.Equal(before, _lab.Node1.Snapshot());

        one.Apply([]);
        Assert.Equal("", _lab.Node1.Ip("route", "show", "10.244.2.0/24"));
        Assert.False(_lab.Node1.Ping(_lab.Node2.PodIp));
    }

    [Fact]
    public async Task A_node_off_the_underlay_subnet_is_refused_by_name_and_the_others_still_apply()
    {
        var (one, two) = await Both();
        var far = Leases.HostGw("10.244.7.0/24", "10.0.0.7");

        var e = Assert.Throws<BackendException>(() => one.Apply([two.Lease, far]));
        Assert.Contains("host-gw needs the nodes on one L2 network: 10.0.0.7 is not on eth0's 192.168.200.0/24", e.Message);
        Assert.Equal("lease 10.244.7.0/24 (node 10.0.0.7): host-gw needs the nodes on one L2 network: 10.0.0.7 is not on eth0's 192.168.200.0/24", Assert.Single(e.Problems));
        Assert.Equal("", _lab.Node1.Ip("route", "show", "10.244.7.0/24"));
        Assert.Equal("10.244.2.0/24 via 192.168.200.12", _lab.Node1.Ip("route", "show", "10.244.2.0/24", "dev", "eth0"));
    }
}
