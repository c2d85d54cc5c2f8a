namespace Kybernet.Controllers.Scheduler.Filters;

/// <summary>spec.nodeSelector and required node affinity (In, NotIn, Exists, DoesNotExist, Gt, Lt; matchFields metadata.name).</summary>
public static class NodeAffinityFilter
{
    public const string Reason = "node(s) didn't match Pod's node affinity/selector";

    public static Rejection? Check(PodInfo pod, NodeInfo node) =>
        pod.Pod.Spec is { } spec && node.Node is { } n && !Common.NodeAffinity.PodMatches(spec, n) ? Rejection.Final(Reason) : null;
}
