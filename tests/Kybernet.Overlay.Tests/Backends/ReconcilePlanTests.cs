using System.Net;
using System.Net.NetworkInformation;
using Kybernet.Overlay.Backends;

namespace Kybernet.Overlay.Tests.Backends;

public sealed class ReconcilePlanTests
{
    private static readonly SubnetLease Local = Leases.Vxlan("10.244.1.0/24", "192.168.200.11", "0a:00:00:00:00:01");
    private static readonly SubnetLease Two = Leases.Vxlan("10.244.2.0/24", "192.168.200.12", "0a:00:00:00:00:02");
    private static readonly SubnetLease Three = Leases.Vxlan("10.244.3.0/24", "192.168.200.13", "0a:00:00:00:00:03");

    private static OverlayState Want(params SubnetLease[] others) => VxlanPlanner.Plan(Leases.Config, Local, "flannel.1", others).State;

    [Fact]
    public void From_nothing_everything_is_set_fdb_first_routes_last()
    {
        var plan = ReconcilePlan.Between(OverlayState.Empty, Want(Two));
        Assert.Equal(
            [
                "bridge fdb replace 0a:00:00:00:00:02 dev flannel.1 dst 192.168.200.12",
                "ip neigh replace 10.244.2.0 lladdr 0a:00:00:00:00:02 dev flannel.1 nud permanent",
                "ip route replace 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink",
            ],
            plan.Describe());
    }

    [Fact]
    public void The_same_state_twice_is_an_empty_plan()
    {
        Assert.True(ReconcilePlan.Between(Want(Two, Three), Want(Three, Two)).IsEmpty);
    }

    [Fact]
    public void A_removed_lease_removes_exactly_its_three_entries()
    {
        var plan = ReconcilePlan.Between(Want(Two, Three), Want(Three));
        Assert.Equal(
            [
                "ip route del 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink",
                "ip neigh del 10.244.2.0 dev flannel.1",
                "bridge fdb del 0a:00:00:00:00:02 dev flannel.1 dst 192.168.200.12",
            ],
            plan.Describe());
    }

    [Fact]
    public void A_moved_node_is_updated_in_place()
    {
        var moved = Leases.Vxlan("10.244.2.0/24", "192.168.200.22", "0a:00:00:00:00:02");
        var plan = ReconcilePlan.Between(Want(Two), Want(moved));
        Assert.Equal(["bridge fdb replace 0a:00:00:00:00:02 dev flannel.1 dst 192.168.200.22"], plan.Describe());
    }

    [Fact]
    public void A_new_vtep_mac_replaces_the_neighbour_and_swaps_the_fdb_entry()
    {
        var rebuilt = Leases.Vxlan("10.244.2.0/24", "192.168.200.12", "0a:00:00:00:00:22");
        var plan = ReconcilePlan.Between(Want(Two), Want(rebuilt));
        Assert.Equal(
            [
                "bridge fdb del 0a:00:00:00:00:02 dev flannel.1 dst 192.168.200.12",
                "bridge fdb replace 0a:00:00:00:00:22 dev flannel.1 dst 192.168.200.12",
                "ip neigh replace 10.244.2.0 lladdr 0a:00:00:00:00:22 dev flannel.1 nud permanent",
            ],
            plan.Describe());
    }

    [Fact]
    public void Entries_owned_but_unknown_are_deleted()
    {
        var stray = new OverlayState(
            [new OverlayRoute(IPNetwork.Parse("10.244.9.0/24"), IPAddress.Parse("10.244.9.0"), "flannel.1", true)],
            [new OverlayNeighbour(IPAddress.Parse("10.244.9.0"), PhysicalAddress.Parse("0a:00:00:00:00:09"), "flannel.1")],
            []);
        var plan = ReconcilePlan.Between(stray, OverlayState.Empty);
        Assert.Single(plan.RoutesToDelete);
        Assert.Single(plan.NeighboursToDelete);
        Assert.Empty(plan.RoutesToSet);
    }
}
