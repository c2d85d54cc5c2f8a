using k8s.Models;
using Kybernet.Controllers.Common;

namespace Kybernet.Controllers.DaemonSets;

/// <summary>
/// What one sync of a DaemonSet should do, decided purely from the nodes, its pods (by the node each is on or meant for)
/// and the current revision's hash (upstream's manage, rollingUpdate and updateDaemonSetStatus):
/// <list type="bullet">
/// <item>a node that should run a pod and has none (not even a terminating one) gets one;</item>
/// <item>on a node that may keep its pod, failed pods are deleted (to be replaced) and of several pods the oldest stays;</item>
/// <item>a node that may not keep its pod (labels, NoExecute taint) loses it, and so does a pod whose node is gone;</item>
/// <item>RollingUpdate deletes old-revision pods, unavailable ones first and at any time, available ones only while
/// fewer than maxUnavailable nodes are without an available pod (the new pod comes when the old one is gone).</item>
/// </list>
/// </summary>
public sealed class DaemonSetPlan
{
    public List<string> NodesNeedingPods { get; } = [];
    public List<V1Pod> PodsToDelete { get; } = [];
    /// <summary>Failed pods with their node: deleted subject to the per-node backoff.</summary>
    public List<(V1Pod Pod, string Node)> FailedPods { get; } = [];
    public V1DaemonSetStatus Status { get; } = new();
    /// <summary>When to look again because a ready pod becomes available (minReadySeconds), or null.</summary>
    public TimeSpan? RecheckAfter { get; private set; }

    public static DaemonSetPlan Make(V1DaemonSet ds, IReadOnlyCollection<V1Node> nodes, IReadOnlyList<V1Pod> pods, string currentHash, DateTimeOffset now, bool mayRollOut)
    {
        var plan = new DaemonSetPlan();
        var minReady = ds.Spec.MinReadySeconds ?? 0;
        var byNode = new Dictionary<string, List<V1Pod>>(StringComparer.Ordinal);
        foreach (var pod in pods)
        {
            var node = DaemonPlacement.TargetNode(pod);
            if (node is null || nodes.All(n => n.Name() != node))
            {
                // Meant for no node, or for one that is gone: upstream's pod GC would remove it; nothing else will here.
                if (!PodState.IsTerminating(pod))
                    plan.PodsToDelete.Add(pod);
                continue;
            }
            if (!byNode.TryGetValue(node, out var list))
                byNode[node] = list = [];
            list.Add(pod);
        }

        int desired = 0, current = 0, misscheduled = 0, ready = 0, available = 0, updated = 0;
        // For the rolling update: nodes that should run a pod and do not have an available one, and old pods to replace.
        var unavailable = 0;
        var replaceFreely = new List<V1Pod>();
        var replaceWithinBudget = new List<V1Pod>();
        foreach (var node in nodes.OrderBy(n => n.Name(), StringComparer.Ordinal))
        {
            var verdict = DaemonPlacement.Judge(ds.Spec.Template, node);
            var onNode = byNode.GetValueOrDefault(node.Name()) ?? [];
            var live = onNode.Where(p => !PodState.IsTerminating(p)).OrderBy(p => p.Metadata.CreationTimestamp ?? DateTime.MinValue).ThenBy(p => p.Name(), StringComparer.Ordinal).ToList();

            if (verdict.ShouldRun && onNode.Count == 0)
                plan.NodesNeedingPods.Add(node.Name());
            else if (verdict.ShouldContinueRunning)
            {
                var running = new List<V1Pod>();
                foreach (var pod in live)
                {
                    if (pod.Status?.Phase == PodState.Failed)
                        plan.FailedPods.Add((pod, node.Name()));
                    else
                        running.Add(pod);
                }
                plan.PodsToDelete.AddRange(running.Skip(1)); // one pod per node: the oldest stays
            }
            else
                plan.PodsToDelete.AddRange(live);

            var keeper = live.FirstOrDefault(p => p.Status?.Phase != PodState.Failed);
            if (verdict.ShouldRun)
            {
                desired++;
                if (live.Count > 0)
                    current++;
                var isUpdated = keeper is not null && DaemonSetHistory.HashOf(keeper.Metadata) == currentHash;
                var isAvailable = keeper is not null && PodState.IsAvailable(keeper, minReady, now);
                if (keeper is not null && PodState.IsReady(keeper))
                    ready++;
                if (isAvailable)
                    available++;
                if (isUpdated)
                    updated++;
                if (keeper is not null && PodState.UntilAvailable(keeper, minReady, now) is { } wait)
                    plan.RecheckAfter = plan.RecheckAfter is { } earlier && earlier < wait ? earlier : wait;

                if (keeper is null || live.Count > 1)
                    unavailable++; // no pod, or several being sorted out: counts against the budget
                else if (isUpdated)
                    unavailable += isAvailable ? 0 : 1;
                else if (!isAvailable)
                    replaceFreely.Add(keeper); // an old pod that is not available anyway
                else
                    replaceWithinBudget.Add(keeper);
            }
            else if (live.Count > 0)
                misscheduled++;
        }

        if (mayRollOut && ds.Spec.UpdateStrategy?.Type is null or "RollingUpdate")
        {
            var rolling = ds.Spec.UpdateStrategy?.RollingUpdate;
            var maxUnavailable = ScaledValue.Of(rolling?.MaxUnavailable, desired, roundUp: true, fallback: 1);
            if (maxUnavailable <= 0)
                maxUnavailable = 1; // maxSurge is not implemented: a rollout always needs room to replace
            var room = Math.Clamp(maxUnavailable - unavailable, 0, replaceWithinBudget.Count);
            plan.PodsToDelete.AddRange(replaceFreely);
            plan.PodsToDelete.AddRange(replaceWithinBudget.Take(room));
        }

        plan.Status.DesiredNumberScheduled = desired;
        plan.Status.CurrentNumberScheduled = current;
        plan.Status.NumberMisscheduled = misscheduled;
        plan.Status.NumberReady = ready;
        plan.Status.NumberAvailable = available;
        plan.Status.NumberUnavailable = Math.Max(0, desired - available);
        plan.Status.UpdatedNumberScheduled = updated;
        plan.Status.ObservedGeneration = ds.Metadata.Generation;
        plan.Status.CollisionCount = ds.Status?.CollisionCount;
        return plan;
    }
}
