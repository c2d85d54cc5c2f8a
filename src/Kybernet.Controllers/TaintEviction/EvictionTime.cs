using k8s.Models;
using Kybernet.Controllers.Common;
using Kybernet.Controllers.NodeLifecycle;

namespace Kybernet.Controllers.TaintEviction;

/// <summary>
/// When a pod must leave a node because of the node's NoExecute taints, as upstream's taint manager reckons it: at once
/// if one of them is not tolerated; otherwise each taint is matched with the pod's first toleration of it, and the pod
/// goes at the earliest "taint added + tolerationSeconds" among those tolerations that carry seconds (a negative number
/// counts as 0); never if none does. <b>Decision:</b> the seconds count from the taint's timeAdded (upstream counts from
/// when its controller saw the taint), so a controller that takes over after a leader change keeps the same deadline;
/// a taint without timeAdded counts from <c>firstSeen</c>.
/// </summary>
public static class EvictionTime
{
    /// <summary>When the pod must be deleted: <see cref="DateTimeOffset.MinValue"/> for at once, null for never.</summary>
    public static DateTimeOffset? For(IEnumerable<V1Taint> noExecuteTaints, IList<V1Toleration>? tolerations, Func<V1Taint, DateTimeOffset> firstSeen)
    {
        DateTimeOffset? due = null;
        foreach (var taint in noExecuteTaints)
        {
            var toleration = tolerations?.FirstOrDefault(t => Taints.Tolerates(t, taint));
            if (toleration is null)
                return DateTimeOffset.MinValue;
            if (toleration.TolerationSeconds is not { } seconds)
                continue;
            var added = taint.TimeAdded is { } t ? new DateTimeOffset(Times.Utc(t)) : firstSeen(taint);
            var at = added + TimeSpan.FromSeconds(Math.Max(0, seconds));
            if (due is null || at < due)
                due = at;
        }
        return due;
    }

    public static IReadOnlyList<V1Taint> NoExecute(V1Node? node) =>
        node?.Spec?.Taints?.Where(t => t.Effect == Taints.NoExecute).ToList() ?? [];
}
