using k8s.Models;
using Kybernet.Controllers.Common;

namespace Kybernet.Controllers.Scheduler.Filters;

/// <summary>A cordoned node (spec.unschedulable) takes only pods that tolerate node.kubernetes.io/unschedulable:NoSchedule.</summary>
public static class NodeUnschedulableFilter
{
    public const string Reason = "node(s) were unschedulable";

    private static readonly V1Taint CordonTaint = new() { Key = Taints.Unschedulable, Effect = Taints.NoSchedule };

    public static Rejection? Check(PodInfo pod, NodeInfo node) =>
        node.Unschedulable && !Taints.Tolerates(pod.Pod.Spec?.Tolerations, CordonTaint) ? Rejection.Final(Reason) : null;
}
