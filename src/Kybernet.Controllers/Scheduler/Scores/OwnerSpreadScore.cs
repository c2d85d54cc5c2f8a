namespace Kybernet.Controllers.Scheduler.Scores;

/// <summary>
/// Spreads the pods of one controller over nodes (upstream's SelectorSpread, by controller reference rather than by
/// the selectors of the Services and controllers that select the pod): a node with fewer pods of the same owner scores
/// higher, MaxScore * (most - here) / most over the candidate nodes. Pods without a controller score the same everywhere.
/// </summary>
public static class OwnerSpreadScore
{
    public const int MaxScore = 100;

    /// <summary>Scores for <paramref name="nodes"/>, in order.</summary>
    public static long[] Score(PodInfo pod, IReadOnlyList<NodeInfo> nodes)
    {
        var scores = new long[nodes.Count];
        if (pod.OwnerUid is not { } owner)
            return scores;
        long most = 0;
        for (int i = 0; i < nodes.Count; i++)
            most = Math.Max(most, scores[i] = nodes[i].CountOwnedBy(owner));
        for (int i = 0; i < nodes.Count; i++)
            scores[i] = most == 0 ? MaxScore : MaxScore * (most - scores[i]) / most;
        return scores;
    }
}
