using System.Text;
using Kybernet.Controllers.Scheduler.Filters;

namespace Kybernet.Controllers.Scheduler;

/// <summary>
/// The FailedScheduling message in upstream's words (framework.FitError), e.g. "0/3 nodes are available: 1 node(s) had
/// untolerated taint {node.kubernetes.io/unreachable: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1
/// Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.": each reason counted over
/// the nodes, "COUNT reason" strings sorted as strings; then what preemption would say. Kybernet does not preempt, so
/// the preemption part is what upstream's would say when it finds nothing to do: per node, "Preemption is not helpful
/// for scheduling" when evicting cannot help, "No preemption victims found for incoming pod" when nothing there has a
/// lower priority, else the node's own reasons (as upstream's dry run reports a node where evicting every lower-priority
/// pod is still not enough).
/// </summary>
public static class UnschedulableMessage
{
    public const string NoNodes = "no nodes available to schedule pods";
    public const string NotHelpful = "Preemption is not helpful for scheduling";
    public const string NoVictims = "No preemption victims found for incoming pod";

    public static string For(PodInfo pod, int nodeCount, IReadOnlyDictionary<NodeInfo, Rejection> rejections)
    {
        if (nodeCount == 0)
            return NoNodes;
        var text = new StringBuilder();
        text.Append(Summary(nodeCount, rejections.Values.SelectMany(r => r.Reasons)));
        text.Append(" preemption: ");
        if (pod.Pod.Spec?.PreemptionPolicy == "Never")
            text.Append("not eligible due to preemptionPolicy=Never.");
        else
            text.Append(Summary(nodeCount, rejections.SelectMany(r => PreemptionReasons(pod, r.Key, r.Value))));
        return text.ToString();
    }

    private static IEnumerable<string> PreemptionReasons(PodInfo pod, NodeInfo node, Rejection rejection) =>
        rejection.Unresolvable ? [NotHelpful] : !node.HasPodsBelow(pod.Priority) ? [NoVictims] : rejection.Reasons;

    private static string Summary(int nodeCount, IEnumerable<string> reasons)
    {
        var counted = reasons.GroupBy(r => r, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}").ToList();
        counted.Sort(StringComparer.Ordinal);
        var text = $"0/{nodeCount} nodes are available:";
        if (counted.Count > 0)
            text += " " + string.Join(", ", counted) + ".";
        return text;
    }
}
