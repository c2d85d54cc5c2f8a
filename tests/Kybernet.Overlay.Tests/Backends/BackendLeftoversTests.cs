using System.Net;
using Kybernet.Overlay.Backends;

namespace Kybernet.Overlay.Tests.Backends;

/// <summary>What one backend leaves on a node is removed when the config names another (or vxlan under another VNI).</summary>
public sealed class BackendLeftoversTests : IDisposable
{
    private readonly TwoNodeLab _lab = new();

    public void Dispose() => _lab.Dispose();

    private static NetworkConfig Config(string backend, uint vni = 1) => new()
    {
        Network = IPNetwork.Parse("10.244.0.0/16"),
        BackendType = backend,
        Backend = backend == "vxlan" ? new() { ["Type"] = backend, ["VNI"] = vni } : new() { ["Type"] = backend },
    };

    [Fact]
    public async Task Each_backend_removes_the_others_state_and_keeps_its_own()
    {
        var node = _lab.Node1;
        // host-gw, then vxlan VNI 2, then udp were all set up here, and none cleaned up after itself.
        var hostGw = await node.Register(new HostGwBackend(node.External), Config("host-gw"));
        hostGw.Apply([await _lab.Node2.Acquire(new LeaseRequest(_lab.Node2.PublicIp, "host-gw", new()), default)]);
        await node.Register(new VxlanBackend(node.External), Config("vxlan", vni: 2));
        Assert.Contains("10.244.2.0/24 via 192.168.200.12", node.Ip("route", "show", "10.244.2.0/24"));
        Assert.Contains("flannel.2", node.Ip("-br", "link"));

        node.Ip("link", "add", "flannel.9", "type", "vxlan", "id", "9", "dstport", "4789"); // another network's: no address in ours
        node.Ip("addr", "add", "10.99.0.0/32", "dev", "flannel.9");

        var removed = BackendLeftovers.RemoveAllBut("vxlan", Config("vxlan", vni: 1), node.External);

        Assert.Equal(["vxlan device flannel.2", "host-gw route 10.244.2.0/24 via 192.168.200.12 dev eth0"], removed.Select(r => r.Replace("  ", " ")).ToList());
        Assert.DoesNotContain("flannel.2", node.Ip("-br", "link"));
        Assert.Contains("flannel.9", node.Ip("-br", "link"));
        Assert.Equal("", node.Ip("route", "show", "10.244.2.0/24"));
        Assert.Empty(BackendLeftovers.RemoveAllBut("vxlan", Config("vxlan", vni: 1), node.External)); // nothing left: nothing to do

        await node.Register(new VxlanBackend(node.External), Config("vxlan", vni: 1));
        Assert.Empty(BackendLeftovers.RemoveAllBut("vxlan", Config("vxlan", vni: 1), node.External)); // its own device stays
        Assert.Equal(["vxlan device flannel.1"], BackendLeftovers.RemoveAllBut("udp", Config("udp"), node.External));
    }
}
