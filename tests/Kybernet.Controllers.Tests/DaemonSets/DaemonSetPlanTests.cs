using k8s.Models;
using Kybernet.Controllers.DaemonSets;

namespace Kybernet.Controllers.Tests.DaemonSets;

/// <summary>The decisions of one DaemonSet sync, without a server.</summary>
public sealed class DaemonSetPlanTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static V1DaemonSet DaemonSet(object? maxUnavailable = null, object? maxSurge = null, string type = "RollingUpdate") => new()
    {
        Metadata = new V1ObjectMeta { Name = "agent", NamespaceProperty = "default", Uid = "ds-uid", Generation = 2 },
        Spec = new V1DaemonSetSpec
        {
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "agent" } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "agent" } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "main", Image = "busybox" }] },
            },
            UpdateStrategy = new V1DaemonSetUpdateStrategy
            {
                Type = type,
                RollingUpdate = type == "RollingUpdate" ? new V1RollingUpdateDaemonSet
                {
                    MaxUnavailable = maxUnavailable is null ? null : Of(maxUnavailable),
                    MaxSurge = maxSurge is null ? null : Of(maxSurge),
                } : null,
            },
        },
    };

    private static IntOrString Of(object value) => k8s.KubernetesJson.Deserialize<IntOrString>(k8s.KubernetesJson.Serialize(value));

    private static V1Node Node(string name, params V1Taint[] taints) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["kubernetes.io/hostname"] = name } },
        Spec = new V1NodeSpec { Taints = taints.Length == 0 ? null : taints },
    };

    private static V1Pod Pod(string node, string hash, bool ready = true, int age = 100) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = $"agent-{node}-{hash}-{age}",
            Uid = Guid.NewGuid().ToString(),
            CreationTimestamp = Now.AddSeconds(-age).UtcDateTime,
            Labels = new Dictionary<string, string> { ["app"] = "agent", [DaemonSetHistory.HashLabel] = hash },
        },
        Spec = new V1PodSpec { NodeName = node, Containers = [new V1Container { Name = "main", Image = "busybox" }] },
        Status = new V1PodStatus
        {
            Phase = "Running",
            Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False", LastTransitionTime = Now.AddSeconds(-age).UtcDateTime }],
        },
    };

    private static V1Node[] Nodes(int count) => [.. Enumerable.Range(1, count).Select(i => Node($"n{i}"))];

    [Fact]
    public void Nodes_without_a_pod_get_one_and_status_counts_what_runs()
    {
        var plan = DaemonSetPlan.Make(DaemonSet(), Nodes(3), [Pod("n1", "new")], "new", Now, mayRollOut: true);
        Assert.Equal(["n2", "n3"], plan.NodesNeedingPods);
        Assert.Empty(plan.PodsToDelete);
        Assert.Equal(3, plan.Status.DesiredNumberScheduled);
        Assert.Equal(1, plan.Status.CurrentNumberScheduled);
        Assert.Equal(1, plan.Status.NumberAvailable);
        Assert.Equal(2, plan.Status.NumberUnavailable);
        Assert.Equal(1, plan.Status.UpdatedNumberScheduled);
        Assert.Equal(2, plan.Status.ObservedGeneration);
    }

    [Fact]
    public void Of_two_pods_on_a_node_the_oldest_stays_and_a_pod_of_a_gone_node_goes()
    {
        var old = Pod("n1", "new", age: 200);
        var young = Pod("n1", "new", age: 10);
        var stray = Pod("gone", "new");
        var plan = DaemonSetPlan.Make(DaemonSet(), Nodes(1), [young, old, stray], "new", Now, mayRollOut: true);
        Assert.Equal([stray.Name(), young.Name()], plan.PodsToDelete.Select(p => p.Name()).Order(StringComparer.Ordinal));
        Assert.Empty(plan.NodesNeedingPods);
    }

    [Fact]
    public void A_rolling_update_replaces_at_most_maxUnavailable_available_pods_and_unavailable_old_ones_at_once()
    {
        var pods = new[] { Pod("n1", "old"), Pod("n2", "old"), Pod("n3", "old"), Pod("n4", "old", ready: false), Pod("n5", "new") };
        var plan = DaemonSetPlan.Make(DaemonSet(maxUnavailable: 2), Nodes(5), pods, "new", Now, mayRollOut: true);
        // n4's old pod is unavailable anyway (gone at once) and counts for nothing; two of the available ones go.
        Assert.Equal(["agent-n4-old-100", "agent-n1-old-100", "agent-n2-old-100"], plan.PodsToDelete.Select(p => p.Name()));

        // A node already without an available pod uses up one of the budget.
        var waiting = new[] { Pod("n1", "old"), Pod("n2", "old"), Pod("n3", "new", ready: false) };
        Assert.Equal(["agent-n1-old-100"], DaemonSetPlan.Make(DaemonSet(maxUnavailable: 2), Nodes(3), waiting, "new", Now, mayRollOut: true).PodsToDelete.Select(p => p.Name()));

        // A percentage rounds up; OnDelete and unmet expectations roll nothing.
        Assert.Single(DaemonSetPlan.Make(DaemonSet(maxUnavailable: "10%"), Nodes(3), [Pod("n1", "old"), Pod("n2", "old"), Pod("n3", "old")], "new", Now, mayRollOut: true).PodsToDelete);
        Assert.Empty(DaemonSetPlan.Make(DaemonSet(type: "OnDelete"), Nodes(2), [Pod("n1", "old"), Pod("n2", "old")], "new", Now, mayRollOut: true).PodsToDelete);
        Assert.Empty(DaemonSetPlan.Make(DaemonSet(), Nodes(2), [Pod("n1", "old"), Pod("n2", "old")], "new", Now, mayRollOut: false).PodsToDelete);
    }

    [Fact]
    public void With_maxSurge_new_pods_start_beside_old_ones_and_an_old_one_goes_when_its_replacement_is_available()
    {
        var pods = new[] { Pod("n1", "old"), Pod("n1", "new", age: 5), Pod("n2", "old"), Pod("n3", "old"), Pod("n4", "old", age: 300), Pod("n4", "new", ready: true, age: 50) };
        var plan = DaemonSetPlan.Make(DaemonSet(maxUnavailable: 0, maxSurge: 2), Nodes(4), pods, "new", Now, mayRollOut: true);
        // n1's and n4's new pods are available: their old ones go; n2 and n3 may surge (none in flight).
        Assert.Equal(["agent-n1-old-100", "agent-n4-old-300"], plan.PodsToDelete.Select(p => p.Name()).Order(StringComparer.Ordinal));
        Assert.Equal(["n2", "n3"], plan.NodesNeedingPods.Order());

        var surging = new[] { Pod("n1", "old"), Pod("n1", "new", ready: false, age: 5), Pod("n2", "old"), Pod("n3", "old") };
        var limited = DaemonSetPlan.Make(DaemonSet(maxUnavailable: 0, maxSurge: 2), Nodes(3), surging, "new", Now, mayRollOut: true);
        Assert.Empty(limited.PodsToDelete);
        Assert.Equal(["n2"], limited.NodesNeedingPods); // one surge in flight, one more allowed
    }

    [Fact]
    public void Untolerated_NoSchedule_keeps_new_pods_off_but_lets_a_running_one_stay_and_NoExecute_evicts()
    {
        var noSchedule = Node("n1", new V1Taint { Key = "gpu", Value = "yes", Effect = "NoSchedule" });
        var noExecute = Node("n2", new V1Taint { Key = "maintenance", Effect = "NoExecute" });
        var running = Pod("n1", "new");
        var evicted = Pod("n2", "new");
        var plan = DaemonSetPlan.Make(DaemonSet(), [noSchedule, noExecute, Node("n3", new V1Taint { Key = "node.kubernetes.io/unschedulable", Effect = "NoSchedule" })], [running, evicted], "new", Now, mayRollOut: true);
        Assert.Equal([evicted], plan.PodsToDelete);
        Assert.Equal(["n3"], plan.NodesNeedingPods); // cordoned nodes still get daemon pods (the unschedulable toleration)
        Assert.Equal(1, plan.Status.DesiredNumberScheduled);
        Assert.Equal(2, plan.Status.NumberMisscheduled);
    }
}
