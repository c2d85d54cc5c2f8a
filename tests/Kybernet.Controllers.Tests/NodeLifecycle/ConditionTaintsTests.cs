using k8s.Models;
using Kybernet.Controllers.NodeLifecycle;

namespace Kybernet.Controllers.Tests.NodeLifecycle;

public sealed class ConditionTaintsTests
{
    private static readonly DateTime Now = new(2026, 12, 2, 10, 0, 0, DateTimeKind.Utc);

    private static V1Node Node(string ready, bool unschedulable = false, params V1Taint[] taints) => new()
    {
        Metadata = new V1ObjectMeta { Name = "n1" },
        Spec = new V1NodeSpec { Unschedulable = unschedulable, Taints = [.. taints] },
        Status = new V1NodeStatus { Conditions = [new V1NodeCondition { Type = "Ready", Status = ready }, new V1NodeCondition { Type = "DiskPressure", Status = "False" }] },
    };

    private static string Show(IEnumerable<V1Taint>? taints) =>
        taints is null ? "(unchanged)" : string.Join(" ", taints.Select(t => $"{t.Key}:{t.Effect}@{t.TimeAdded:HH:mm:ss}"));

    [Fact]
    public void Ready_unknown_gives_unreachable_and_false_gives_not_ready_both_as_NoExecute_and_NoSchedule()
    {
        Assert.Equal("node.kubernetes.io/unreachable:NoSchedule@10:00:00 node.kubernetes.io/unreachable:NoExecute@10:00:00", Show(ConditionTaints.Reconcile(Node("Unknown"), Now)));
        Assert.Equal("node.kubernetes.io/not-ready:NoSchedule@10:00:00 node.kubernetes.io/not-ready:NoExecute@10:00:00", Show(ConditionTaints.Reconcile(Node("False"), Now)));
        Assert.Equal("(unchanged)", Show(ConditionTaints.Reconcile(Node("True"), Now)));
    }

    [Fact]
    public void Taints_kept_keep_their_time_others_taints_stay_and_a_ready_node_loses_the_owned_ones()
    {
        var earlier = Now.AddMinutes(-5);
        var theirs = new V1Taint { Key = "dedicated", Value = "gpu", Effect = "NoSchedule" };
        var unreachable = new V1Taint { Key = "node.kubernetes.io/unreachable", Effect = "NoExecute", TimeAdded = earlier };
        Assert.Equal("dedicated:NoSchedule@ node.kubernetes.io/unreachable:NoExecute@09:55:00 node.kubernetes.io/unreachable:NoSchedule@10:00:00",
            Show(ConditionTaints.Reconcile(Node("Unknown", false, theirs, unreachable), Now)));
        Assert.Equal("dedicated:NoSchedule@", Show(ConditionTaints.Reconcile(Node("True", false, theirs, unreachable), Now)));
    }

    [Fact]
    public void A_cordoned_node_is_tainted_unschedulable_and_uncordoning_removes_it()
    {
        var cordoned = ConditionTaints.Reconcile(Node("True", unschedulable: true), Now)!;
        Assert.Equal("node.kubernetes.io/unschedulable:NoSchedule@10:00:00", Show(cordoned));
        Assert.Equal("", Show(ConditionTaints.Reconcile(Node("True", false, [.. cordoned]), Now)));
    }
}
