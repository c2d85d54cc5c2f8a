using System.Net;
using System.Net.NetworkInformation;
using Kybernet.Overlay.Backends;

namespace Kybernet.Overlay.Tests.Backends;

public sealed class PlannerTests
{
    private static readonly SubnetLease Local = Leases.Vxlan("10.244.1.0/24", "192.168.200.11", "0a:00:00:00:00:01");

    [Fact]
    public void Vxlan_wants_a_route_a_neighbour_and_an_fdb_entry_per_remote_lease()
    {
        var remote = Leases.Vxlan("10.244.2.0/24", "192.168.200.12", "0a:58:0a:f4:02:00");
        var desired = VxlanPlanner.Plan(Leases.Config, Local, "flannel.1", [Local, remote]);

        Assert.Empty(desired.Problems);
        var vtep = IPAddress.Parse("10.244.2.0");
        var mac = PhysicalAddress.Parse("0a:58:0a:f4:02:00");
        Assert.Equal([new OverlayRoute(IPNetwork.Parse("10.244.2.0/24"), vtep, "flannel.1", OnLink: true)], desired.State.Routes);
        Assert.Equal([new OverlayNeighbour(vtep, mac, "flannel.1")], desired.State.Neighbours);
        Assert.Equal([new OverlayFdbEntry(mac, IPAddress.Parse("192.168.200.12"), "flannel.1")], desired.State.Fdb);
    }

    [Fact]
    public void Vxlan_names_the_leases_it_cannot_use_and_keeps_the_rest()
    {
        var good = Leases.Vxlan("10.244.2.0/24", "192.168.200.12", "0a:00:00:00:00:02");
        var noMac = Leases.Vxlan("10.244.3.0/24", "192.168.200.13", "not-a-mac");
        var outside = Leases.Vxlan("10.9.0.0/24", "192.168.200.14", "0a:00:00:00:00:04");
        var hostGw = Leases.HostGw("10.244.5.0/24", "192.168.200.15");

        var desired = VxlanPlanner.Plan(Leases.Config, Local, "flannel.1", [good, noMac, outside, hostGw]);

        Assert.Single(desired.State.Routes);
        Assert.Collection(desired.Problems,
            p => Assert.Equal("lease 10.9.0.0/24 (node 192.168.200.14): outside the pod network 10.244.0.0/16", p),
            p => Assert.Equal("lease 10.244.5.0/24 (node 192.168.200.15): runs backend \"host-gw\", this node runs \"vxlan\"", p),
            p => Assert.Equal("lease 10.244.3.0/24 (node 192.168.200.13): BackendData.VtepMAC is missing or not a MAC address", p));
    }

    [Fact]
    public void A_subnet_claimed_twice_is_used_for_neither()
    {
        var a = Leases.Vxlan("10.244.2.0/24", "192.168.200.12", "0a:00:00:00:00:02");
        var b = Leases.Vxlan("10.244.2.0/24", "192.168.200.13", "0a:00:00:00:00:03");
        var desired = VxlanPlanner.Plan(Leases.Config, Local, "flannel.1", [a, b]);
        Assert.Empty(desired.State.Routes);
        Assert.Equal(["lease 10.244.2.0/24: claimed by several nodes, none is used"], desired.Problems);
    }

    [Fact]
    public void HostGw_routes_via_the_remote_public_address_on_the_underlay()
    {
        var local = Leases.HostGw("10.244.1.0/24", "192.168.200.11");
        var remote = Leases.HostGw("10.244.2.0/24", "192.168.200.12");
        var desired = HostGwPlanner.Plan(Leases.Config, local, "eth0", [IPNetwork.Parse("192.168.200.0/24")], [remote]);

        Assert.Empty(desired.Problems);
        Assert.Equal([new OverlayRoute(IPNetwork.Parse("10.244.2.0/24"), IPAddress.Parse("192.168.200.12"), "eth0")], desired.State.Routes);
        Assert.Empty(desired.State.Neighbours);
        Assert.Empty(desired.State.Fdb);
    }

    [Fact]
    public void HostGw_refuses_a_node_that_is_not_a_direct_neighbour()
    {
        var local = Leases.HostGw("10.244.1.0/24", "192.168.200.11");
        var far = Leases.HostGw("10.244.7.0/24", "10.0.0.7");
        var desired = HostGwPlanner.Plan(Leases.Config, local, "eth0", [IPNetwork.Parse("192.168.200.0/24")], [far]);

        Assert.Empty(desired.State.Routes);
        var problem = Assert.Single(desired.Problems);
        Assert.Contains("host-gw needs the nodes on one L2 network: 10.0.0.7 is not on eth0's 192.168.200.0/24", problem);
    }
}
