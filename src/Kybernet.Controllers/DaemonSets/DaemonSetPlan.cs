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
/// fewer than maxUnavailable nodes are without an available pod (the new pod comes when the old one is gone); with
/// maxSurge, a new pod starts beside the old one on at most maxSurge nodes at a time (at once where the old one is not
/// available) and the old one goes when the new one is available.</item>
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

        var verdicts = nodes.OrderBy(n => n.Name(), StringComparer.Ordinal).Select(n => (Node: n, Verdict: DaemonPlacement.Judge(ds.Spec.Template, n))).ToList();
        var desired = verdicts.Count(v => v.Verdict.ShouldRun);
        var isRollingUpdate = ds.Spec.UpdateStrategy?.Type is null or "RollingUpdate";
        var rollingUpdate = mayRollOut && isRollingUpdate;
        var rolling = ds.Spec.UpdateStrategy?.RollingUpdate;
        var maxSurge = isRollingUpdate ? ScaledValue.Of(rolling?.MaxSurge, desired, roundUp: true, fallback: 0) : 0;
        var maxUnavailable = ScaledValue.Of(rolling?.MaxUnavailable, desired, roundUp: true, fallback: 1);
        if (maxUnavailable <= 0 && maxSurge <= 0)
            maxUnavailable = 1; // as upstream: a rollout always has room for one

        int current = 0, misscheduled = 0, ready = 0, available = 0, updated = 0;
        // For the rolling update: nodes without an available pod, old pods to replace, nodes to surge on.
        var unavailable = 0;
        var surging = 0;
        var replaceFreely = new List<V1Pod>();
        var replaceWithinBudget = new List<V1Pod>();
        var surgeFreely = new List<string>();
        var surgeWithinBudget = new List<string>();
        foreach (var (node, verdict) in verdicts)
        {
            var onNode = byNode.GetValueOrDefault(node.Name()) ?? [];
            var live = onNode.Where(p => !PodState.IsTerminating(p)).OrderBy(p => p.Metadata.CreationTimestamp ?? DateTime.MinValue).ThenBy(p => p.Name(), StringComparer.Ordinal).ToList();
            bool IsUpdated(V1Pod pod) => DaemonSetHistory.HashOf(pod.Metadata) == currentHash;

            var kept = new List<V1Pod>();
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
                // One pod per node, the oldest; while surging, the oldest old one and the newest new one.
                if (maxSurge > 0)
                    kept.AddRange(new[] { running.FirstOrDefault(p => !IsUpdated(p)), running.LastOrDefault(IsUpdated) }.OfType<V1Pod>());
                else
                    kept.AddRange(running.Take(1));
                plan.PodsToDelete.AddRange(running.Except(kept));
            }
            else
                plan.PodsToDelete.AddRange(live);

            var oldPod = kept.FirstOrDefault(p => !IsUpdated(p));
            var newPod = kept.FirstOrDefault(IsUpdated);
            var keeper = newPod ?? oldPod;
            if (!verdict.ShouldRun)
            {
                if (live.Count > 0)
                    misscheduled++;
                continue;
            }
            if (live.Count > 0)
                current++;
            var isAvailable = keeper is not null && PodState.IsAvailable(keeper, minReady, now);
            if (keeper is not null && PodState.IsReady(keeper))
                ready++;
            if (isAvailable)
                available++;
            if (newPod is not null)
                updated++;
            if (keeper is not null && PodState.UntilAvailable(keeper, minReady, now) is { } wait)
                plan.RecheckAfter = plan.RecheckAfter is { } earlier && earlier < wait ? earlier : wait;

            if (maxSurge > 0)
            {
                if (oldPod is not null && newPod is null)
                {
                    if (PodState.IsAvailable(oldPod, minReady, now))
                        surgeWithinBudget.Add(node.Name());
                    else
                        surgeFreely.Add(node.Name()); // nothing to keep available: replace at once
                }
                else if (oldPod is not null && newPod is not null)
                {
                    if (PodState.IsAvailable(newPod, minReady, now))
                        plan.PodsToDelete.Add(oldPod); // the new one took over
                    else
                        surging++;
                }
            }
            else if (keeper is null || live.Count > 1)
                unavailable++; // no pod, or several being sorted out: counts against the budget
            else if (newPod is not null)
                unavailable += isAvailable ? 0 : 1;
            else if (!isAvailable)
                replaceFreely.Add(keeper); // an old pod that is not available anyway
            else
                replaceWithinBudget.Add(keeper);
        }

        if (rollingUpdate && maxSurge > 0)
        {
            plan.NodesNeedingPods.AddRange(surgeFreely);
            plan.NodesNeedingPods.AddRange(surgeWithinBudget.Take(Math.Clamp(maxSurge - surging, 0, surgeWithinBudget.Count)));
        }
        else if (rollingUpdate)
        {
            plan.PodsToDelete.AddRange(replaceFreely);
            plan.PodsToDelete.AddRange(replaceWithinBudget.Take(Math.Clamp(maxUnavailable - unavailable, 0, replaceWithinBudget.Count)));
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
