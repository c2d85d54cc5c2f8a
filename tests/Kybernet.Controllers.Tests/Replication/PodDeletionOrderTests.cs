using k8s.Models;
using Kybernet.Controllers.Replication;

namespace Kybernet.Controllers.Tests.Replication;

/// <summary>Upstream's order of preference when scaling down, criterion by criterion.</summary>
public sealed class PodDeletionOrderTests
{
    private static readonly DateTime T0 = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static V1Pod Pod(string name, string? node = "n1", string? phase = "Running", bool ready = true, DateTime? readySince = null,
        int restarts = 0, DateTime? created = null, int? cost = null) => new()
        {
            Metadata = new V1ObjectMeta
            {
                Name = name,
                CreationTimestamp = created ?? T0,
                Annotations = cost is null ? null : new Dictionary<string, string> { [PodDeletionOrder.DeletionCostAnnotation] = cost.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            },
            Spec = new V1PodSpec { NodeName = node },
            Status = new V1PodStatus
            {
                Phase = phase,
                Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False", LastTransitionTime = readySince ?? T0 }],
                ContainerStatuses = [new V1ContainerStatus { Name = "main", RestartCount = restarts, Image = "busybox", ImageID = "", Ready = ready }],
            },
        };

    private static string[] First(int count, params V1Pod[] pods) => [.. PodDeletionOrder.PickToDelete(pods, count).Select(p => p.Name())];

    [Fact]
    public void Each_criterion_in_turn()
    {
        Assert.Equal(["unscheduled"], First(1, Pod("scheduled"), Pod("unscheduled", node: null)));
        Assert.Equal(["pending", "unknown"], First(2, Pod("running"), Pod("unknown", phase: "Unknown"), Pod("pending", phase: "Pending")));
        Assert.Equal(["unready"], First(1, Pod("ready"), Pod("unready", ready: false)));
        Assert.Equal(["cheap"], First(1, Pod("dear", cost: 10), Pod("cheap", cost: -5)));
        Assert.Equal(["crowded", "neighbour"], First(2, Pod("alone", node: "n1"), Pod("crowded", node: "n2"), Pod("neighbour", node: "n2"), Pod("other", node: "n3")).Order());
        Assert.Equal(["recent"], First(1, Pod("long", readySince: T0), Pod("recent", readySince: T0.AddMinutes(5))));
        Assert.Equal(["crashy"], First(1, Pod("steady"), Pod("crashy", restarts: 4)));
        Assert.Equal(["young"], First(1, Pod("old", created: T0), Pod("young", created: T0.AddHours(1))));
    }

    [Fact]
    public void Earlier_criteria_win_over_later_ones()
    {
        // An unscheduled old pod goes before a scheduled, pending, crashing new one.
        Assert.Equal(["unscheduled-old"], First(1, Pod("pending-crashing-new", phase: "Pending", ready: false, restarts: 9, created: T0.AddDays(1)), Pod("unscheduled-old", node: null)));
        // Not ready beats more restarts.
        Assert.Equal(["unready"], First(1, Pod("crashy", restarts: 9), Pod("unready", ready: false)));
    }

    [Fact]
    public void Co_location_counts_the_related_pods_of_sibling_owners()
    {
        // Alone among this owner's pods on n1, but n1 also runs two pods of a sibling (same Deployment): it goes first.
        var mine = new[] { Pod("on-n2", node: "n2"), Pod("on-n1", node: "n1") };
        var related = mine.Concat([Pod("sibling-a", node: "n1"), Pod("sibling-b", node: "n1"), Pod("sibling-c", node: "n2")]);
        Assert.Equal("on-n2", Assert.Single(PodDeletionOrder.PickToDelete(mine, 1)).Name()); // a tie among its own: list order
        Assert.Equal("on-n1", Assert.Single(PodDeletionOrder.PickToDelete(mine, 1, related)).Name());
    }

    [Fact]
    public void Asking_for_all_returns_all()
    {
        var pods = new[] { Pod("a"), Pod("b") };
        Assert.Equal(2, PodDeletionOrder.PickToDelete(pods, 5).Count);
    }
}
