using System.Globalization;
using k8s.Models;
using Kybernet.Controllers.Common;

namespace Kybernet.Controllers.Replication;

/// <summary>
/// Which of a controller's pods go first when it scales down: upstream's ranking of active pods, so the ones that serve
/// least (and cost least to lose) are deleted first.
/// <list type="number">
/// <item>unscheduled before scheduled;</item>
/// <item>Pending before Unknown before Running;</item>
/// <item>not ready before ready;</item>
/// <item>a lower controller.kubernetes.io/pod-deletion-cost before a higher;</item>
/// <item>more of the owner's pods on the same node before fewer (spreading is kept);</item>
/// <item>of two ready pods, the one ready more recently;</item>
/// <item>more container restarts before fewer;</item>
/// <item>newer before older.</item>
/// </list>
/// </summary>
public sealed class PodDeletionOrder : IComparer<V1Pod>
{
    public const string DeletionCostAnnotation = "controller.kubernetes.io/pod-deletion-cost";

    private readonly Dictionary<string, int> _podsOnNode;

    /// <summary>
    /// The order with the co-location rank counted among <paramref name="related"/>: the owner's active pods, or, for a
    /// ReplicaSet of a Deployment, those of every ReplicaSet of that Deployment (upstream's indirectly related pods),
    /// so scaling an old ReplicaSet down keeps the Deployment spread.
    /// </summary>
    public PodDeletionOrder(IEnumerable<V1Pod> related) =>
        _podsOnNode = related.Where(PodState.IsScheduled).GroupBy(p => p.Spec.NodeName, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    /// <summary>The <paramref name="count"/> of <paramref name="pods"/> to delete first (co-location counted among <paramref name="related"/>, by default the pods themselves).</summary>
    public static IReadOnlyList<V1Pod> PickToDelete(IReadOnlyList<V1Pod> pods, int count, IEnumerable<V1Pod>? related = null) =>
        count >= pods.Count ? pods : [.. pods.Order(new PodDeletionOrder(related ?? pods)).Take(count)];

    /// <summary>Negative when <paramref name="x"/> should be deleted before <paramref name="y"/>.</summary>
    public int Compare(V1Pod? x, V1Pod? y)
    {
        if (ReferenceEquals(x, y))
            return 0;
        if (x is null || y is null)
            return x is null ? 1 : -1;
        int c;
        if ((c = PodState.IsScheduled(x).CompareTo(PodState.IsScheduled(y))) != 0)
            return c;
        if ((c = PhaseRank(x).CompareTo(PhaseRank(y))) != 0)
            return c;
        if ((c = PodState.IsReady(x).CompareTo(PodState.IsReady(y))) != 0)
            return c;
        if ((c = DeletionCost(x).CompareTo(DeletionCost(y))) != 0)
            return c;
        if ((c = PodsOnSameNode(y).CompareTo(PodsOnSameNode(x))) != 0)
            return c;
        if (PodState.IsReady(x) && PodState.IsReady(y) && (c = NewerFirst(ReadySince(x), ReadySince(y))) != 0)
            return c;
        if ((c = Restarts(y).CompareTo(Restarts(x))) != 0)
            return c;
        return NewerFirst(x.Metadata.CreationTimestamp, y.Metadata.CreationTimestamp);
    }

    private static int PhaseRank(V1Pod pod) => pod.Status?.Phase switch
    {
        "Unknown" => 1,
        PodState.Running => 2,
        _ => 0, // Pending, or no status yet
    };

    /// <summary>The annotation's int32 value; a missing or malformed one costs 0 (upstream's API validation rejects malformed ones).</summary>
    private static int DeletionCost(V1Pod pod) =>
        pod.Metadata.Annotations?.TryGetValue(DeletionCostAnnotation, out var text) == true &&
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var cost) ? cost : 0;

    private int PodsOnSameNode(V1Pod pod) =>
        PodState.IsScheduled(pod) ? _podsOnNode.GetValueOrDefault(pod.Spec.NodeName) : 0;

    private static DateTime? ReadySince(V1Pod pod) => PodState.Condition(pod, "Ready")?.LastTransitionTime;

    private static int Restarts(V1Pod pod) =>
        (pod.Status?.ContainerStatuses ?? []).Select(s => s.RestartCount).DefaultIfEmpty(0).Max();

    /// <summary>The later time first; an unknown time counts as the latest (upstream's afterOrZero).</summary>
    private static int NewerFirst(DateTime? x, DateTime? y)
    {
        if (x == y)
            return 0;
        if (x is null)
            return -1;
        if (y is null)
            return 1;
        return y.Value.CompareTo(x.Value);
    }
}
