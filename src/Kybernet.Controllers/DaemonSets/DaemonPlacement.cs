using k8s.Models;
using Kybernet.Controllers.Common;

namespace Kybernet.Controllers.DaemonSets;

/// <summary>
/// Which nodes a DaemonSet's pods belong on, and how a pod is pinned to its node (upstream's daemon utilities): the
/// template's nodeSelector and required node affinity must match the node, and its tolerations, with those every
/// daemon pod gets, must tolerate the node's taints.
/// </summary>
public static class DaemonPlacement
{
    public const string NetworkUnavailable = "node.kubernetes.io/network-unavailable";
    public const string DiskPressure = "node.kubernetes.io/disk-pressure";
    public const string MemoryPressure = "node.kubernetes.io/memory-pressure";
    public const string PidPressure = "node.kubernetes.io/pid-pressure";

    /// <summary>Whether a new pod should run on the node, and whether a pod already there may go on running.</summary>
    public readonly record struct Verdict(bool ShouldRun, bool ShouldContinueRunning);

    /// <summary>
    /// A node whose labels do not fit, or with a NoExecute taint the pod does not tolerate, gets no pod and loses its pod;
    /// one with only an untolerated NoSchedule taint gets no new pod, but one already there stays (as upstream).
    /// </summary>
    public static Verdict Judge(V1PodTemplateSpec template, V1Node node)
    {
        var spec = template.Spec ?? new V1PodSpec();
        if (!NodeAffinity.PodMatches(spec, node))
            return new(false, false);
        var tolerations = WithDaemonTolerations(spec.Tolerations, spec.HostNetwork == true);
        var taints = node.Spec?.Taints;
        if (Taints.FirstUntolerated(taints, tolerations, Taints.NoExecute) is not null)
            return new(false, false);
        return new(Taints.FirstUntolerated(taints, tolerations, Taints.NoSchedule) is null, true);
    }

    /// <summary>
    /// The template's tolerations plus those upstream adds to every daemon pod, so node trouble does not evict it and
    /// cordoning does not keep it off: not-ready and unreachable (NoExecute, forever), disk, memory and pid pressure and
    /// unschedulable (NoSchedule), and network-unavailable for pods on the host's network.
    /// </summary>
    public static List<V1Toleration> WithDaemonTolerations(IEnumerable<V1Toleration>? tolerations, bool hostNetwork)
    {
        var all = new List<V1Toleration>(tolerations ?? []);
        void Add(string key, string effect)
        {
            if (!all.Any(t => t.Key == key && t.OperatorProperty == "Exists" && t.Effect == effect))
                all.Add(new V1Toleration { Key = key, OperatorProperty = "Exists", Effect = effect });
        }
        Add(Taints.NotReady, Taints.NoExecute);
        Add(Taints.Unreachable, Taints.NoExecute);
        Add(DiskPressure, Taints.NoSchedule);
        Add(MemoryPressure, Taints.NoSchedule);
        Add(PidPressure, Taints.NoSchedule);
        Add(Taints.Unschedulable, Taints.NoSchedule);
        if (hostNetwork)
            Add(NetworkUnavailable, Taints.NoSchedule);
        return all;
    }

    /// <summary>
    /// Pins the pod to <paramref name="node"/> the way upstream does since 1.12: the scheduler places it, through a required
    /// node affinity whose only term is matchFields metadata.name In [node] (the template's own node affinity terms were
    /// checked against the node already), and it gets the daemon tolerations.
    /// </summary>
    public static void PinToNode(V1Pod pod, string node)
    {
        var spec = pod.Spec;
        spec.Tolerations = WithDaemonTolerations(spec.Tolerations, spec.HostNetwork == true);
        spec.Affinity ??= new V1Affinity();
        spec.Affinity.NodeAffinity ??= new V1NodeAffinity();
        spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector
        {
            NodeSelectorTerms =
            [
                new V1NodeSelectorTerm
                {
                    MatchFields = [new V1NodeSelectorRequirement { Key = "metadata.name", OperatorProperty = "In", Values = [node] }],
                },
            ],
        };
    }

    /// <summary>The node a daemon pod is on (spec.nodeName) or is meant for (its metadata.name affinity), or null.</summary>
    public static string? TargetNode(V1Pod pod)
    {
        if (!string.IsNullOrEmpty(pod.Spec?.NodeName))
            return pod.Spec.NodeName;
        var terms = pod.Spec?.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution?.NodeSelectorTerms;
        return terms?.SelectMany(t => t.MatchFields ?? [])
            .FirstOrDefault(f => f.Key == "metadata.name" && f.OperatorProperty == "In" && f.Values is { Count: 1 })?.Values[0];
    }
}
