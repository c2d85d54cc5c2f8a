namespace Kybernet.Controllers.Scheduler.Scores;

/// <summary>
/// Upstream's NodeResourcesFit scoring with the LeastAllocated strategy: for cpu and memory, the share of allocatable
/// left free once the pod is added ((allocatable - requested) * 100 / allocatable, 0 when over), averaged with equal
/// weights. Requests are the non-zero ones (a container asking nothing counts as 100m and 200Mi), so empty pods spread.
/// </summary>
public static class LeastAllocatedScore
{
    public const int MaxScore = 100;

    public static long Score(PodInfo pod, NodeInfo node)
    {
        var requested = node.NonZeroRequested + pod.NonZeroRequests;
        return (Free(requested.MilliCpu, node.Allocatable.MilliCpu) + Free(requested.Memory, node.Allocatable.Memory)) / 2;
    }

    private static long Free(long requested, long allocatable) =>
        allocatable == 0 || requested > allocatable ? 0 : (allocatable - requested) * MaxScore / allocatable;
}
