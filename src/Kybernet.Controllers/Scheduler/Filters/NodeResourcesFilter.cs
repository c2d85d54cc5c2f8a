namespace Kybernet.Controllers.Scheduler.Filters;

/// <summary>
/// Upstream's NodeResourcesFit filter: one pod slot (allocatable pods), and the pod's cpu, memory and ephemeral-storage
/// requests within what allocatable leaves after the node's pods. Every shortfall is a reason; a request larger than
/// the node's whole allocatable cannot be helped by evicting anything.
/// </summary>
public static class NodeResourcesFilter
{
    public static Rejection? Check(PodInfo pod, NodeInfo node)
    {
        List<string>? reasons = null;
        bool unresolvable = false;
        if (node.PodCount + 1 > node.AllowedPods)
            (reasons ??= []).Add("Too many pods");
        var want = pod.Requests;
        if (!want.IsZero)
        {
            var free = node.Allocatable - node.Requested;
            Check(want.MilliCpu, free.MilliCpu, node.Allocatable.MilliCpu, "Insufficient cpu", ref reasons, ref unresolvable);
            Check(want.Memory, free.Memory, node.Allocatable.Memory, "Insufficient memory", ref reasons, ref unresolvable);
            Check(want.EphemeralStorage, free.EphemeralStorage, node.Allocatable.EphemeralStorage, "Insufficient ephemeral-storage", ref reasons, ref unresolvable);
        }
        return reasons is null ? null : new Rejection(reasons, unresolvable);
    }

    private static void Check(long want, long free, long allocatable, string reason, ref List<string>? reasons, ref bool unresolvable)
    {
        if (want <= 0 || want <= free)
            return;
        (reasons ??= []).Add(reason);
        unresolvable |= want > allocatable;
    }
}
