using System.Globalization;
using k8s.Models;

namespace Kybernet.Controllers.Deployments;

/// <summary>
/// The arithmetic of a rollout (upstream's deployment util): how far a rolling update may surge above and dip below
/// the desired size, how many replicas the new ReplicaSet may have next, and the sums over a Deployment's ReplicaSets.
/// </summary>
public static class RolloutMath
{
    public const string RollingUpdate = "RollingUpdate";
    public const string Recreate = "Recreate";

    public static bool IsRollingUpdate(V1Deployment d) => (d.Spec.Strategy?.Type ?? RollingUpdate) == RollingUpdate;

    public static int Replicas(V1Deployment d) => d.Spec.Replicas ?? 1;

    public static int Replicas(V1ReplicaSet? rs) => rs?.Spec?.Replicas ?? 0;

    /// <summary>
    /// An int or a percentage of <paramref name="total"/> ("25%"): surge rounds up, unavailability rounds down, so
    /// a small Deployment can always move. Throws <see cref="FormatException"/> on anything else.
    /// </summary>
    public static int Scaled(IntOrString? value, int total, bool roundUp, int whenAbsent)
    {
        var text = value?.Value;
        if (string.IsNullOrEmpty(text))
            return whenAbsent;
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
            return n;
        if (text.EndsWith('%') && int.TryParse(text[..^1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var percent))
        {
            var exact = (double)percent * total / 100;
            return (int)(roundUp ? Math.Ceiling(exact) : Math.Floor(exact));
        }
        throw new FormatException($"invalid value for IntOrString: invalid value \"{text}\": must be an integer or a percentage");
    }

    /// <summary>maxSurge and maxUnavailable of a rolling update; both 0 would never move, so unavailability becomes 1.</summary>
    public static (int Surge, int Unavailable) Fenceposts(V1Deployment d)
    {
        var desired = Replicas(d);
        var rolling = d.Spec.Strategy?.RollingUpdate;
        var surge = Scaled(rolling?.MaxSurge, desired, roundUp: true, whenAbsent: (int)Math.Ceiling(desired * 0.25));
        var unavailable = Scaled(rolling?.MaxUnavailable, desired, roundUp: false, whenAbsent: (int)Math.Floor(desired * 0.25));
        if (surge == 0 && unavailable == 0)
            unavailable = 1;
        return (surge, unavailable);
    }

    public static int MaxSurge(V1Deployment d) => IsRollingUpdate(d) ? Fenceposts(d).Surge : 0;

    /// <summary>How many of the desired replicas may be unavailable during a rolling update (never more than all of them).</summary>
    public static int MaxUnavailable(V1Deployment d)
    {
        if (!IsRollingUpdate(d) || Replicas(d) == 0)
            return 0;
        return Math.Min(Fenceposts(d).Unavailable, Replicas(d));
    }

    /// <summary>The size the new ReplicaSet may grow to now: up to the surge allowance for a rolling update, all at once for Recreate.</summary>
    public static int NewReplicaSetReplicas(V1Deployment d, IEnumerable<V1ReplicaSet> all, V1ReplicaSet newRs)
    {
        if (!IsRollingUpdate(d))
            return Replicas(d);
        var current = SpecReplicas(all);
        var maxTotal = Replicas(d) + MaxSurge(d);
        if (current >= maxTotal)
            return Replicas(newRs); // no room to grow until old ones shrink
        var room = Math.Min(maxTotal - current, Replicas(d) - Replicas(newRs));
        return Replicas(newRs) + room;
    }

    public static int SpecReplicas(IEnumerable<V1ReplicaSet?> sets) => sets.Sum(rs => Replicas(rs));

    public static int StatusReplicas(IEnumerable<V1ReplicaSet?> sets) => sets.Sum(rs => rs?.Status?.Replicas ?? 0);

    public static int ReadyReplicas(IEnumerable<V1ReplicaSet?> sets) => sets.Sum(rs => rs?.Status?.ReadyReplicas ?? 0);

    public static int AvailableReplicas(IEnumerable<V1ReplicaSet?> sets) => sets.Sum(rs => rs?.Status?.AvailableReplicas ?? 0);

    /// <summary>
    /// The available replicas a scale-down may count on: the status, but never more than the spec. Right after a
    /// ReplicaSet is shrunk its status still counts the pods being removed; trusting it would let the next sync shrink
    /// the old ReplicaSets again by the same pods, below replicas - maxUnavailable.
    /// </summary>
    public static int AvailableAfterScaling(V1ReplicaSet? rs) => Math.Min(rs?.Status?.AvailableReplicas ?? 0, Replicas(rs));

    public static int AvailableAfterScaling(IEnumerable<V1ReplicaSet?> sets) => sets.Sum(AvailableAfterScaling);

    /// <summary>The ReplicaSets that still want pods.</summary>
    public static List<V1ReplicaSet> Active(IEnumerable<V1ReplicaSet?> sets) => [.. sets.OfType<V1ReplicaSet>().Where(rs => Replicas(rs) > 0)];

    /// <summary>Oldest first (by creation, then name), as upstream's ReplicaSetsByCreationTimestamp.</summary>
    public static List<V1ReplicaSet> OldestFirst(IEnumerable<V1ReplicaSet> sets) =>
        [.. sets.OrderBy(rs => rs.Metadata.CreationTimestamp ?? DateTime.MinValue).ThenBy(rs => rs.Metadata.Name, StringComparer.Ordinal)];

    /// <summary>
    /// The one ReplicaSet a plain scale applies to: the only active one, or (none active) the new one, or else the
    /// latest old one; null when several are active (a rollout is under way, so scaling is proportional).
    /// </summary>
    public static V1ReplicaSet? ActiveOrLatest(V1ReplicaSet? newRs, IReadOnlyList<V1ReplicaSet> oldRss)
    {
        if (newRs is null && oldRss.Count == 0)
            return null;
        var all = oldRss.Append(newRs).OfType<V1ReplicaSet>().ToList();
        var active = Active(all);
        return active.Count switch
        {
            0 => newRs ?? OldestFirst(oldRss).Last(),
            1 => active[0],
            _ => null,
        };
    }

    /// <summary>The new ReplicaSet has the whole desired size, recorded as such, and all of it available.</summary>
    public static bool IsSaturated(V1Deployment d, V1ReplicaSet? newRs) =>
        newRs is not null &&
        Replicas(newRs) == Replicas(d) &&
        DeploymentAnnotations.IntAnnotation(newRs.Metadata, DeploymentAnnotations.DesiredReplicas) == Replicas(d) &&
        (newRs.Status?.AvailableReplicas ?? 0) == Replicas(d);

    /// <summary>
    /// The share of <paramref name="toAdd"/> that goes to one ReplicaSet when a Deployment is scaled mid-rollout: its
    /// size scaled by the Deployment's new size with surge over the one it was made for (max-replicas), bounded by
    /// what is still to hand out.
    /// </summary>
    public static int Proportion(V1ReplicaSet rs, V1Deployment d, int toAdd, int added)
    {
        if (Replicas(rs) == 0 || toAdd == 0 || toAdd == added)
            return 0;
        var fraction = Fraction(rs, d);
        var allowed = toAdd - added;
        return toAdd > 0 ? Math.Min(fraction, allowed) : Math.Max(fraction, allowed);
    }

    private static int Fraction(V1ReplicaSet rs, V1Deployment d)
    {
        if (Replicas(d) == 0)
            return -Replicas(rs);
        var deploymentReplicas = Replicas(d) + MaxSurge(d);
        var annotated = DeploymentAnnotations.IntAnnotation(rs.Metadata, DeploymentAnnotations.MaxReplicas) ?? d.Status?.Replicas ?? 0;
        if (annotated == 0)
            return 0;
        var size = (double)Replicas(rs) * deploymentReplicas / annotated;
        return (int)Math.Round(size, MidpointRounding.AwayFromZero) - Replicas(rs);
    }
}
