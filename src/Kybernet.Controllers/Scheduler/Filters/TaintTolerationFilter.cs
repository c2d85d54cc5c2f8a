using Kybernet.Controllers.Common;

namespace Kybernet.Controllers.Scheduler.Filters;

/// <summary>A node with a NoSchedule or NoExecute taint the pod does not tolerate is out; the message names the first such taint.</summary>
public static class TaintTolerationFilter
{
    public static Rejection? Check(PodInfo pod, NodeInfo node) =>
        Taints.FirstUntolerated(node.Taints, pod.Pod.Spec?.Tolerations, Taints.NoSchedule, Taints.NoExecute) is { } taint
            ? Rejection.Final($"node(s) had untolerated taint {Taints.Describe(taint)}")
            : null;
}
