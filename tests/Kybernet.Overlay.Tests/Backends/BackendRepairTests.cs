using System.Net;
using Kybernet.Overlay.Backends;
using Microsoft.Extensions.Logging.Testing;

namespace Kybernet.Overlay.Tests.Backends;

/// <summary>
/// Every backend's Apply re-reads the kernel, so the agent's resync (an Apply with the leases it already applied) is its
/// repair: on two real nodes, what is deleted by hand with ip and bridge comes back on the next Apply, logged as a repair,
/// and the pods talk again. Node 1's network logs to <see cref="_log"/>.
/// </summary>
public sealed class BackendRepairTests : IDisposable
{
    private static readonly IPNetwork PodNetwork = IPNetwork.Parse("10.244.0.0/16");
    private readonly TwoNodeLab _lab = new();
    private readonly FakeLogCollector _log = new();

    public void Dispose() => _lab.Dispose();

    private static NetworkConfig Config(string backend) => new()
    {
        Network = PodNetwork,
        BackendType = backend,
        Backend = new() { ["Type"] = backend },
    };

    /// <summary>Both nodes registered and knowing each other; node 1's network logs to <see cref="_log"/>.</summary>
    private async Task<(INetwork One, INetwork Two)> Both(Func<ExternalInterface, Microsoft.Extensions.Logging.ILogger?, IBackend> backend, string type)
    {
        var one = await _lab.Node1.Register(backend(_lab.Node1.External, new FakeLogger(_log)), Config(type));
        var two = await _lab.Node2.Register(backend(_lab.Node2.External, null), Config(type));
        one.Apply([two.Lease]);
        two.Apply([one.Lease]);
        Assert.True(_lab.Node1.Ping(_lab.Node2.PodIp), $"pod1 -> pod2 over {type}");
        return (one, two);
    }

    /// <summary>What node 1's network logged at Information and above: its repairs (following the leases is Debug).</summary>
    private string[] Logged() => _log.GetSnapshot().Where(r => r.Level >= Microsoft.Extensions.Logging.LogLevel.Information).Select(r => r.Message).ToArray();

    [Fact]
    public async Task Vxlan_restores_a_deleted_route_neighbour_and_fdb_entry_and_the_device_with_its_mac()
    {
        var (one, two) = await Both((e, log) => new VxlanBackend(e, log), "vxlan");
        var mac1 = one.BackendData["VtepMAC"]!.GetValue<string>();
        var mac2 = two.BackendData["VtepMAC"]!.GetValue<string>();
        var before = _lab.Node1.Snapshot();
        one.Apply([two.Lease]);
        Assert.Empty(Logged());

        _lab.Node1.Ip("route", "del", "10.244.2.0/24", "dev", "flannel.1");
        _lab.Node1.Ip("neigh", "del", "10.244.2.0", "dev", "flannel.1");
        _lab.Node1.Bridge("fdb", "del", mac2, "dev", "flannel.1", "dst", "192.168.200.12");
        Assert.False(_lab.Node1.Ping(_lab.Node2.PodIp), "nothing routes to node 2's subnet");
        one.Apply([two.Lease]);
        Assert.Equal(before, _lab.Node1.Snapshot());
        Assert.Equal(
            [
                $"restored fdb entry {mac2} dev flannel.1 dst 192.168.200.12",
                $"restored neighbour 10.244.2.0 lladdr {mac2} dev flannel.1",
                "restored route 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink",
            ],
            Logged());
        Assert.True(_lab.Node1.Ping(_lab.Node2.PodIp), "pod1 -> pod2 after the repair");

        // The device itself: created again with the MAC node 2's entries name, and its address.
        _log.Clear();
        _lab.Node1.Ip("link", "del", "flannel.1");
        one.Apply([two.Lease]);
        Assert.Contains($"link/ether {mac1} ", _lab.Node1.Ip("link", "show", "flannel.1"));
        Assert.Contains("inet 10.244.1.0/32 ", _lab.Node1.Ip("-4", "addr", "show", "flannel.1"));
        Assert.Equal(
            [
                $"recreated flannel.1 (vxlan 1, MAC {mac1}): it was missing",
                "restored address 10.244.1.0/32 on flannel.1",
                $"restored fdb entry {mac2} dev flannel.1 dst 192.168.200.12",
                $"restored neighbour 10.244.2.0 lladdr {mac2} dev flannel.1",
                "restored route 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink",
            ],
            Logged());
        Assert.True(_lab.Node1.Ping(_lab.Node2.PodIp), "pod1 -> pod2 through the new device");
        Assert.True(_lab.Node2.Ping(_lab.Node1.PodIp), "pod2 -> pod1: node 2's entries still name the right MAC");
    }

    [Fact]
    public async Task Vxlan_puts_back_a_mac_changed_by_hand()
    {
        var (one, two) = await Both((e, log) => new VxlanBackend(e, log), "vxlan");
        var mac1 = one.BackendData["VtepMAC"]!.GetValue<string>();
        _lab.Node1.Ip("link", "set", "flannel.1", "address", "0a:00:00:00:00:99");
        Assert.False(_lab.Node2.Ping(_lab.Node1.PodIp), "node 2 sends to the MAC in the lease");

        one.Apply([two.Lease]);
        // A new link address flushes the device's neighbours in the kernel: they come back too.
        Assert.Equal(
            [$"restored flannel.1's MAC {mac1} (the one in the lease; it was 0a:00:00:00:00:99)", $"restored neighbour 10.244.2.0 lladdr {two.BackendData["VtepMAC"]} dev flannel.1"],
            Logged());
        Assert.Contains($"link/ether {mac1} ", _lab.Node1.Ip("link", "show", "flannel.1"));
        Assert.True(_lab.Node2.Ping(_lab.Node1.PodIp));
    }

    [Fact]
    public async Task Host_gw_restores_a_deleted_route()
    {
        var (one, two) = await Both((e, log) => new HostGwBackend(e, log), "host-gw");
        _lab.Node1.Ip("route", "del", "10.244.2.0/24", "via", "192.168.200.12", "dev", "eth0");
        Assert.False(_lab.Node1.Ping(_lab.Node2.PodIp));

        one.Apply([two.Lease]);
        Assert.Equal("10.244.2.0/24 via 192.168.200.12", _lab.Node1.Ip("route", "show", "10.244.2.0/24", "dev", "eth0"));
        Assert.Equal(["restored route 10.244.2.0/24 via 192.168.200.12 dev eth0"], Logged());
        Assert.True(_lab.Node1.Ping(_lab.Node2.PodIp));
    }

    [Fact]
    public async Task Udp_restores_its_route_and_address_and_a_deleted_flannel0_with_new_data_path_threads()
    {
        var (one, two) = await Both((e, log) => new UdpBackend(e, log), "udp");
        var udp = (UdpNetwork)one;
        _lab.Node1.Ip("route", "del", "10.244.0.0/16", "dev", "flannel0");
        _lab.Node1.Ip("addr", "del", "10.244.1.0/32", "dev", "flannel0");
        Assert.False(_lab.Node1.Ping(_lab.Node2.PodIp));

        one.Apply([two.Lease]);
        Assert.Equal(["restored address 10.244.1.0/32 on flannel0", "restored route 10.244.0.0/16 dev flannel0"], Logged());
        Assert.Equal("10.244.0.0/16", _lab.Node1.Ip("route", "show", "dev", "flannel0"));
        Assert.True(_lab.Node1.Ping(_lab.Node2.PodIp));

        // The device: its descriptor is detached for good and the threads stop on it; that is a repair to make, not a failure.
        _log.Clear();
        _lab.Node1.Ip("link", "del", "flannel0");
        Assert.True(SpinWait.SpinUntil(() => Logged().Any(l => l.StartsWith("flannel0 was deleted, and the data path stopped with it", StringComparison.Ordinal)), TimeSpan.FromSeconds(10)),
            "the data path notices, and says it waits for the resync");
        Assert.False(one.Failure.IsCompleted, "a deleted device does not fail the network");

        one.Apply([two.Lease]);
        Assert.Contains("recreated flannel0 and the data path's threads: it had been deleted", Logged());
        Assert.Contains("mtu 1472 ", _lab.Node1.Ip("link", "show", "flannel0"));
        Assert.True(_lab.Node1.Ping(_lab.Node2.PodIp), "pod1 -> pod2 through the new flannel0");
        Assert.True(_lab.Node2.Ping(_lab.Node1.PodIp), "pod2 -> pod1");
        Assert.Equal(1, udp.Table.Count);
        Assert.Null(udp.Fault);
        Assert.False(one.Failure.IsCompleted);
    }
}
