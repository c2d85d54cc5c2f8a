using k8s.Models;

namespace Kybernet.Controllers.Deployments;

/// <summary>
/// A Deployment's ReplicaSets during one sync: the new one (whose template is the Deployment's, null until made) and
/// the old ones. Each write returns the ReplicaSet as stored, which replaces the one held here, so the next write in
/// the same sync starts from it.
/// </summary>
internal sealed class ReplicaSetFamily(V1ReplicaSet? newRs, List<V1ReplicaSet> oldRss)
{
    public V1ReplicaSet? New { get; set; } = newRs;

    public List<V1ReplicaSet> Old { get; } = oldRss;

    /// <summary>The old ones, then the new one (when there is one).</summary>
    public List<V1ReplicaSet> All => New is null ? [.. Old] : [.. Old, New];

    public void Replace(V1ReplicaSet stored)
    {
        if (New?.Metadata.Uid == stored.Metadata.Uid)
            New = stored;
        var i = Old.FindIndex(rs => rs.Metadata.Uid == stored.Metadata.Uid);
        if (i >= 0)
            Old[i] = stored;
    }

    /// <summary>
    /// Splits the Deployment's ReplicaSets: the new one is the oldest whose template equals the Deployment's but for
    /// the hash label (two can exist after a hash collision was resolved); every other is old.
    /// </summary>
    public static ReplicaSetFamily Of(V1Deployment d, IEnumerable<V1ReplicaSet> owned)
    {
        var sorted = RolloutMath.OldestFirst(owned);
        var newRs = sorted.FirstOrDefault(rs => PodTemplateHash.EqualIgnoringHash(rs.Spec.Template, d.Spec.Template));
        return new ReplicaSetFamily(newRs, [.. sorted.Where(rs => !ReferenceEquals(rs, newRs))]);
    }
}
