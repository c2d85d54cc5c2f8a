using System.Net;
using System.Text.Json.Nodes;
using Kybernet.Linux;
using Kybernet.Overlay.Backends;

namespace Kybernet.Overlay.Tests.Backends;

/// <summary>The vxlan backend on two real nodes (namespaces) joined by an L2 underlay; pods ping across.</summary>
public sealed class VxlanBackendTests : IDisposable
{
    private static readonly NetworkConfig Config = new() { Network = IPNetwork.Parse("10.244.0.0/16") };
    private readonly TwoNodeLab _lab = new();

    public void Dispose() => _lab.Dispose();

    private Task<(INetwork One, INetwork Two)> Both() => _lab.RegisterBoth(e => new VxlanBackend(e), Config);

    [Fact]
    public async Task Pods_on_two_nodes_ping_each_other_through_flannel_1()
    {
        var (one, two) = await Both();
        one.Apply([two.Lease]);
        two.Apply([one.Lease]);

        Assert.True(_lab.Node1.Ping(_lab.Node2.PodIp), "pod1 -> pod2");
        Assert.True(_lab.Node2.Ping(_lab.Node1.PodIp), "pod2 -> pod1");
        Assert.True(_lab.Node1.Ping(_lab.Node2.PodIp, "-M", "do", "-s", "1372"), "1400-byte packet with DF set, pod1 -> pod2");
        Assert.Equal("1", Sysctl.Get(_lab.Node1.Namespace, "net.ipv4.ip_forward"));
    }

    [Fact]
    public async Task The_device_and_the_entries_are_exactly_flannels()
    {
        var (one, two) = await Both();
        one.Apply([two.Lease]);
        var mac1 = one.BackendData["VtepMAC"]!.GetValue<string>();
        var mac2 = two.BackendData["VtepMAC"]!.GetValue<string>();

        Assert.Equal(1u, one.BackendData["VNI"]!.GetValue<uint>());
        Assert.Equal(1450, one.Mtu);
        var link = _lab.Node1.Ip("-d", "link", "show", "flannel.1");
        Assert.Contains($"mtu 1450 ", link);
        Assert.Contains($"link/ether {mac1} ", link);
        Assert.Contains("vxlan id 1 local 192.168.200.11 dev eth0 ", link);
        Assert.Contains("dstport 8472 nolearning", link);
        Assert.Contains("inet 10.244.1.0/32 ", _lab.Node1.Ip("-4", "addr", "show", "flannel.1"));

        Assert.Equal("10.244.2.0/24 via 10.244.2.0 onlink", _lab.Node1.Ip("route", "show", "dev", "flannel.1"));
        Assert.Equal($"10.244.2.0 lladdr {mac2} PERMANENT", _lab.Node1.Ip("neigh", "show", "dev", "flannel.1"));
        Assert.Equal($"{mac2} dst 192.168.200.12 self permanent", _lab.Node1.Bridge("fdb", "show", "dev", "flannel.1"));
    }

    [Fact]
    public async Task Apply_twice_changes_nothing()
    {
        var (one, two) = await Both();
        one.Apply([two.Lease]);
        var before = _lab.Node1.Snapshot() + _lab.Node1.Ip("-d", "link", "show", "flannel.1");

        one.Apply([two.Lease, one.Lease]);
        Assert.Equal(before, _lab.Node1.Snapshot() + _lab.Node1.Ip("-d", "link", "show", "flannel.1"));
        Assert.True(((RouteNetwork)one).Preview([two.Lease]).Plan.IsEmpty);
    }

    [Fact]
    public async Task Removing_a_lease_removes_its_entries_and_re_adding_restores_them()
    {
        var (one, two) = await Both();
        one.Apply([two.Lease]);
        two.Apply([one.Lease]);
        Assert.True(_lab.Node1.Ping(_lab.Node2.PodIp));

        one.Apply([]);
        Assert.Equal("", _lab.Node1.Ip("route", "show", "dev", "flannel.1"));
        Assert.DoesNotContain("PERMANENT", _lab.Node1.Ip("neigh", "show", "dev", "flannel.1"));
        Assert.Equal("", _lab.Node1.Bridge("fdb", "show", "dev", "flannel.1"));
        Assert.False(_lab.Node1.Ping(_lab.Node2.PodIp));

        one.Apply([two.Lease]);
        Assert.True(_lab.Node1.Ping(_lab.Node2.PodIp));
    }

    [Fact]
    public async Task A_lease_whose_mac_or_address_changed_is_followed()
    {
        var (one, two) = await Both();
        two.Apply([one.Lease]);
        var wrong = two.Lease with
        {
            PublicIp = IPAddress.Parse("192.168.200.99"),
            BackendData = new JsonObject { ["VNI"] = 1, ["VtepMAC"] = "0a:00:00:00:00:99" },
        };
        one.Apply([wrong]);
        Assert.Equal("10.244.2.0 lladdr 0a:00:00:00:00:99 PERMANENT", _lab.Node1.Ip("neigh", "show", "dev", "flannel.1"));
        Assert.Equal("0a:00:00:00:00:99 dst 192.168.200.99 self permanent", _lab.Node1.Bridge("fdb", "show", "dev", "flannel.1"));
        Assert.False(_lab.Node1.Ping(_lab.Node2.PodIp));

        one.Apply([two.Lease]);
        var mac2 = two.BackendData["VtepMAC"]!.GetValue<string>();
        Assert.Equal($"10.244.2.0 lladdr {mac2} PERMANENT", _lab.Node1.Ip("neigh", "show", "dev", "flannel.1"));
        Assert.Equal($"{mac2} dst 192.168.200.12 self permanent", _lab.Node1.Bridge("fdb", "show", "dev", "flannel.1"));
        Assert.True(_lab.Node1.Ping(_lab.Node2.PodIp));
    }

    [Fact]
    public async Task Registering_again_keeps_the_device_and_its_mac()
    {
        var (one, _) = await Both();
        var again = await _lab.Node1.Register(new VxlanBackend(_lab.Node1.External), Config);
        Assert.Equal(one.BackendData.ToJsonString(), again.BackendData.ToJsonString());
    }

    [Fact]
    public async Task After_a_restart_entries_of_leases_gone_meanwhile_are_removed()
    {
        var (one, two) = await Both();
        one.Apply([two.Lease]);
        one.Dispose();

        var restarted = await _lab.Node1.Register(new VxlanBackend(_lab.Node1.External), Config);
        restarted.Apply([]);
        Assert.Equal("", _lab.Node1.Ip("route", "show", "dev", "flannel.1"));
        Assert.Equal("", _lab.Node1.Bridge("fdb", "show", "dev", "flannel.1"));
        Assert.Contains("10.244.1.0/24 dev cni0", _lab.Node1.Ip("route"));
    }

    [Fact]
    public async Task A_device_with_other_settings_is_recreated()
    {
        using (var nl = Linux.Netlink.RtNetlink.Open(_lab.Node1.Namespace))
            nl.Links.CreateVxlan(new Linux.Netlink.VxlanSpec("flannel.1", 1) { Port = 4789, Learning = true, Local = _lab.Node1.PublicIp });

        var (one, two) = await Both();
        var link = _lab.Node1.Ip("-d", "link", "show", "flannel.1");
        Assert.Contains("vxlan id 1 local 192.168.200.11 dev eth0 ", link);
        Assert.Contains("dstport 8472 nolearning", link);
        one.Apply([two.Lease]);
        two.Apply([one.Lease]);
        Assert.True(_lab.Node1.Ping(_lab.Node2.PodIp));
    }

    [Fact]
    public async Task A_missing_underlay_device_is_named()
    {
        var backend = new VxlanBackend(_lab.Node1.External with { Device = "eth9" });
        var e = await Assert.ThrowsAsync<LinuxException>(() => backend.RegisterNetworkAsync(Config, _lab.Node1.Acquire));
        Assert.StartsWith($"get link eth9 in netns {_lab.Node1.Namespace.Name}", e.Message);
    }
}
