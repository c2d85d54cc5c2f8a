using k8s.Models;
using Kybernet.Kubelet.Node;

namespace Kybernet.Kubelet.Tests.Node;

public sealed class NodeConditionsTests
{
    private static readonly DateTime Then = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime Now = Then.AddMinutes(3);

    [Fact]
    public void Ready_and_no_pressure_with_upstreams_reasons_and_no_network_condition_without_an_overlay()
    {
        var conditions = NodeConditions.Build(NodeSignals.Healthy, null, Now);
        Assert.Equal(["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"], conditions.Select(c => c.Type));
        var ready = conditions.Single(c => c.Type == "Ready");
        Assert.Equal(("True", "KubeletReady", "kubelet is posting ready status"), (ready.Status, ready.Reason, ready.Message));
        Assert.Equal(("False", "KubeletHasSufficientMemory"), (conditions[0].Status, conditions[0].Reason));
        Assert.Equal(("False", "KubeletHasNoDiskPressure"), (conditions[1].Status, conditions[1].Reason));
        Assert.Equal(("False", "KubeletHasSufficientPID"), (conditions[2].Status, conditions[2].Reason));
        Assert.All(conditions, c => Assert.Equal((Now, Now), (c.LastHeartbeatTime, c.LastTransitionTime)));
    }

    [Fact]
    public void A_transition_time_moves_only_when_the_status_changes()
    {
        var before = NodeConditions.Build(new NodeSignals(["container runtime network not ready: cni config uninitialized"], false), null, Then);
        var notReady = before.Single(c => c.Type == "Ready");
        Assert.Equal(("False", "KubeletNotReady", "container runtime network not ready: cni config uninitialized"), (notReady.Status, notReady.Reason, notReady.Message));
        Assert.DoesNotContain(before, c => c.Type == "NetworkUnavailable");

        var after = NodeConditions.Build(new NodeSignals([], true), before, Now);
        var ready = after.Single(c => c.Type == "Ready");
        Assert.Equal(("True", Now, Now), (ready.Status, ready.LastTransitionTime, ready.LastHeartbeatTime));
        var memory = after.Single(c => c.Type == "MemoryPressure");
        Assert.Equal((Then, Now), (memory.LastTransitionTime, memory.LastHeartbeatTime));
        var network = after.Single(c => c.Type == "NetworkUnavailable");
        Assert.Equal(("False", NodeConditions.OverlayUpReason), (network.Status, network.Reason));
    }

    [Fact]
    public void Conditions_of_others_are_not_built_here()
    {
        var previous = new List<V1NodeCondition> { new() { Type = "example.com/Disk", Status = "True" } };
        Assert.DoesNotContain(NodeConditions.Build(NodeSignals.Healthy, previous, Now), c => c.Type == "example.com/Disk");
    }
}
