using k8s.Models;
using Kybernet.Controllers.Scheduler.Filters;
using Kybernet.Controllers.Scheduler.Scores;

namespace Kybernet.Controllers.Scheduler;

/// <summary>The outcome of one decision: the chosen node, or why no node fits (the FailedScheduling message).</summary>
public sealed record PlacementResult(string? Node, string? Failure);

/// <summary>
/// One scheduling decision (upstream's scheduleOne up to the choice of a node), made under the cache's lock: the
/// filters in upstream's order (the first that rejects a node says why), stopping once enough nodes fit (upstream's
/// percentageOfNodesToScore, adaptive; all nodes below 100), starting where the previous decision stopped so every
/// node gets its turn; then the feasible nodes scored (least allocated, weight 1; spreading an owner's pods, weight 2,
/// as upstream weighs topology spreading) and the best taken, ties broken at random.
/// </summary>
public sealed class Placement(Func<string, V1ObjectMeta?> namespaces, int percentageOfNodesToScore = 0)
{
    private const int MinFeasibleNodesToFind = 100;
    private const int MinFeasibleNodesPercentageToFind = 5;
    private const int LeastAllocatedWeight = 1;
    private const int SpreadWeight = 2;

    private readonly Random _random = new();
    private int _nextStart;

    public PlacementResult Decide(PodInfo pod, SchedulerCache.CacheView cache)
    {
        var nodes = cache.Nodes;
        if (nodes.Count == 0)
            return new PlacementResult(null, UnschedulableMessage.NoNodes);
        var interPod = InterPodAffinityFilter.For(pod, cache, namespaces);
        int wanted = FeasibleNodesToFind(nodes.Count);
        var feasible = new List<NodeInfo>(Math.Min(wanted, nodes.Count));
        Dictionary<NodeInfo, Rejection>? rejections = null;
        int examined = 0;
        for (; examined < nodes.Count && feasible.Count < wanted; examined++)
        {
            var node = nodes[(_nextStart + examined) % nodes.Count];
            if (Filter(pod, node, interPod) is { } rejection)
                (rejections ??= [])[node] = rejection;
            else
                feasible.Add(node);
        }
        _nextStart = (_nextStart + examined) % nodes.Count;
        if (feasible.Count == 0)
            return new PlacementResult(null, UnschedulableMessage.For(pod, nodes.Count, rejections!));
        if (feasible.Count == 1)
            return new PlacementResult(feasible[0].Name, null);
        return new PlacementResult(Best(pod, feasible).Name, null);
    }

    /// <summary>Upstream's filter order: NodeUnschedulable, TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit, InterPodAffinity.</summary>
    public static Rejection? Filter(PodInfo pod, NodeInfo node, InterPodAffinityFilter? interPod) =>
        NodeUnschedulableFilter.Check(pod, node)
        ?? TaintTolerationFilter.Check(pod, node)
        ?? NodeAffinityFilter.Check(pod, node)
        ?? NodePortsFilter.Check(pod, node)
        ?? NodeResourcesFilter.Check(pod, node)
        ?? interPod?.Check(node);

    private NodeInfo Best(PodInfo pod, List<NodeInfo> feasible)
    {
        var spread = OwnerSpreadScore.Score(pod, feasible);
        NodeInfo? best = null;
        long bestScore = long.MinValue;
        int ties = 0;
        for (int i = 0; i < feasible.Count; i++)
        {
            long score = LeastAllocatedWeight * LeastAllocatedScore.Score(pod, feasible[i]) + SpreadWeight * spread[i];
            if (score > bestScore)
                (best, bestScore, ties) = (feasible[i], score, 1);
            else if (score == bestScore && _random.Next(++ties) == 0)
                best = feasible[i]; // reservoir sampling: each of the tied nodes equally likely
        }
        return best!;
    }

    /// <summary>How many feasible nodes are enough (upstream's numFeasibleNodesToFind).</summary>
    private int FeasibleNodesToFind(int nodeCount)
    {
        if (nodeCount < MinFeasibleNodesToFind || percentageOfNodesToScore >= 100)
            return nodeCount;
        int percentage = percentageOfNodesToScore > 0
            ? percentageOfNodesToScore
            : Math.Max(MinFeasibleNodesPercentageToFind, 50 - nodeCount / 125);
        return Math.Max(MinFeasibleNodesToFind, nodeCount * percentage / 100);
    }
}
