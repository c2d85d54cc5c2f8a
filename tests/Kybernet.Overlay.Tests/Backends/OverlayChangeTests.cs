using Kybernet.Overlay.Backends;

namespace Kybernet.Overlay.Tests.Backends;

/// <summary>How an Apply's changes are told apart: following the leases, or repairing what went missing behind the network's back.</summary>
public sealed class OverlayChangeTests
{
    private static readonly SubnetLease Local = Leases.Vxlan("10.244.1.0/24", "192.168.200.11", "0a:00:00:00:00:01");
    private static readonly SubnetLease Two = Leases.Vxlan("10.244.2.0/24", "192.168.200.12", "0a:00:00:00:00:02");
    private static readonly SubnetLease Three = Leases.Vxlan("10.244.3.0/24", "192.168.200.13", "0a:00:00:00:00:03");

    private static OverlayState Want(params SubnetLease[] others) => VxlanPlanner.Plan(Leases.Config, Local, "flannel.1", others).State;

    private static IReadOnlyList<string> Changes(OverlayState actual, OverlayState desired, OverlayState expected) =>
        OverlayChange.Of(ReconcilePlan.Between(actual, desired), actual, expected).Select(c => c.Text).ToList();

    [Fact]
    public void A_new_lease_is_added_not_restored()
    {
        var changes = OverlayChange.Of(ReconcilePlan.Between(Want(Two), Want(Two, Three)), Want(Two), Want(Two));
        Assert.All(changes, c => Assert.False(c.IsRepair));
        Assert.Equal(
            [
                "added fdb entry 0a:00:00:00:00:03 dev flannel.1 dst 192.168.200.13",
                "added neighbour 10.244.3.0 lladdr 0a:00:00:00:00:03 dev flannel.1",
                "added route 10.244.3.0/24 via 10.244.3.0 dev flannel.1 onlink",
            ],
            changes.Select(c => c.Text));
    }

    [Fact]
    public void Entries_deleted_behind_the_networks_back_are_restored_and_only_those()
    {
        var expected = Want(Two, Three);
        var actual = expected with { Routes = [.. expected.Routes.Where(r => r.Destination.ToString() != "10.244.2.0/24")], Fdb = [] };
        var changes = OverlayChange.Of(ReconcilePlan.Between(actual, expected), actual, expected);
        Assert.All(changes, c => Assert.True(c.IsRepair));
        Assert.Equal(
            [
                "restored fdb entry 0a:00:00:00:00:02 dev flannel.1 dst 192.168.200.12",
                "restored fdb entry 0a:00:00:00:00:03 dev flannel.1 dst 192.168.200.13",
                "restored route 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink",
            ],
            changes.Select(c => c.Text));
    }

    [Fact]
    public void An_entry_changed_by_hand_is_corrected_and_a_moved_node_is_changed()
    {
        var moved = Leases.Vxlan("10.244.2.0/24", "192.168.200.22", "0a:00:00:00:00:02");
        var tampered = Want(Two) with { Fdb = Want(moved).Fdb };

        Assert.Equal(
            ["corrected fdb entry 0a:00:00:00:00:02 dev flannel.1 dst 192.168.200.12 (it was 0a:00:00:00:00:02 dev flannel.1 dst 192.168.200.22)"],
            Changes(tampered, Want(Two), Want(Two)));
        Assert.Equal(
            ["changed fdb entry 0a:00:00:00:00:02 dev flannel.1 dst 192.168.200.22 (it was 0a:00:00:00:00:02 dev flannel.1 dst 192.168.200.12)"],
            Changes(Want(Two), Want(moved), Want(Two)));
    }

    [Fact]
    public void A_gone_lease_is_removed_and_a_look_alike_nobody_set_is_removed_as_stray()
    {
        Assert.Equal(
            [
                "removed route 10.244.3.0/24 via 10.244.3.0 dev flannel.1 onlink",
                "removed neighbour 10.244.3.0 lladdr 0a:00:00:00:00:03 dev flannel.1",
                "removed fdb entry 0a:00:00:00:00:03 dev flannel.1 dst 192.168.200.13",
            ],
            Changes(Want(Two, Three), Want(Two), Want(Two, Three)));
        var stray = OverlayChange.Of(ReconcilePlan.Between(Want(Two, Three), Want(Two)), Want(Two, Three), Want(Two));
        Assert.All(stray, c => Assert.True(c.IsRepair && c.IsRemoval));
        Assert.Equal("removed stray route 10.244.3.0/24 via 10.244.3.0 dev flannel.1 onlink (no lease wants it)", stray[0].Text);
    }

    [Fact]
    public void Nothing_missing_is_nothing_to_say()
    {
        Assert.Empty(Changes(Want(Two, Three), Want(Three, Two), Want(Two, Three)));
    }
}
