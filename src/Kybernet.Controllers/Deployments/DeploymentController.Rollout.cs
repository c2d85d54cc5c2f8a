using k8s.Models;
using Kybernet.Client.Informers;
using Kybernet.Controllers.Common;

namespace Kybernet.Controllers.Deployments;

// Moving replicas: a plain or proportional scale, a rolling update within maxSurge and maxUnavailable, Recreate.
public sealed partial class DeploymentController
{
    /// <summary>
    /// Upstream's scale: with one ReplicaSet active, it gets the new size; with a rollout under way, the surplus or
    /// deficit against size + surge is spread over the active ReplicaSets in proportion to their sizes (the biggest
    /// gets what rounding leaves), so a scale mid-rollout does not upset the balance of old and new.
    /// </summary>
    private async Task ScaleAsync(V1Deployment d, ReplicaSetFamily family, CancellationToken ct)
    {
        var desired = RolloutMath.Replicas(d);
        if (RolloutMath.ActiveOrLatest(family.New, family.Old) is { } only)
        {
            if (RolloutMath.Replicas(only) != desired)
                await ScaleReplicaSetAsync(d, family, only, desired, ct);
            return;
        }
        if (RolloutMath.IsSaturated(d, family.New))
        {
            foreach (var old in RolloutMath.Active(family.Old))
                await ScaleReplicaSetAsync(d, family, old, 0, ct);
            return;
        }
        if (!RolloutMath.IsRollingUpdate(d))
            return;
        var active = RolloutMath.Active(family.All);
        var allowed = desired > 0 ? desired + RolloutMath.MaxSurge(d) : 0;
        var toAdd = allowed - RolloutMath.SpecReplicas(active);
        // Growing: the biggest (then newest) first; shrinking: the biggest (then oldest) first.
        var ordered = toAdd > 0
            ? active.OrderByDescending(RolloutMath.Replicas).ThenByDescending(rs => rs.Metadata.CreationTimestamp ?? DateTime.MinValue).ToList()
            : active.OrderByDescending(RolloutMath.Replicas).ThenBy(rs => rs.Metadata.CreationTimestamp ?? DateTime.MinValue).ToList();
        var sizes = new Dictionary<string, int>(StringComparer.Ordinal);
        var added = 0;
        foreach (var rs in ordered)
        {
            var share = toAdd != 0 ? RolloutMath.Proportion(rs, d, toAdd, added) : 0;
            sizes[rs.Name()] = RolloutMath.Replicas(rs) + share;
            added += share;
        }
        if (ordered.Count > 0 && toAdd != added)
            sizes[ordered[0].Name()] = Math.Max(0, sizes[ordered[0].Name()] + toAdd - added);
        foreach (var rs in ordered)
            await ScaleReplicaSetAsync(d, family, rs, sizes[rs.Name()], ct);
    }

    private async Task RolloutRollingAsync(V1Deployment d, List<V1ReplicaSet> owned, CancellationToken ct)
    {
        var family = await FamilyAsync(d, owned, create: true, ct);
        if (family.New is null)
            return;
        if (await ReconcileNewReplicaSetAsync(d, family, ct) || await ReconcileOldReplicaSetsAsync(d, family, ct))
        {
            await SyncRolloutStatusAsync(d, family, ct);
            return;
        }
        if (DeploymentConditions.IsComplete(d, d.Status ?? new V1DeploymentStatus()))
            await CleanupAsync(d, family, ct);
        await SyncRolloutStatusAsync(d, family, ct);
    }

    /// <summary>Grows the new ReplicaSet as far as the surge allows (or shrinks it to the desired size); whether it changed.</summary>
    private async Task<bool> ReconcileNewReplicaSetAsync(V1Deployment d, ReplicaSetFamily family, CancellationToken ct)
    {
        var newRs = family.New!;
        var desired = RolloutMath.Replicas(d);
        if (RolloutMath.Replicas(newRs) == desired)
            return false;
        if (RolloutMath.Replicas(newRs) > desired)
            return await ScaleReplicaSetAsync(d, family, newRs, desired, ct);
        return await ScaleReplicaSetAsync(d, family, newRs, RolloutMath.NewReplicaSetReplicas(d, family.All, newRs), ct);
    }

    /// <summary>
    /// Shrinks the old ReplicaSets as far as maxUnavailable allows, counting the new ReplicaSet's unavailable pods
    /// against it: first the replicas that are not available anyway (oldest ReplicaSet first), then available ones.
    /// </summary>
    private async Task<bool> ReconcileOldReplicaSetsAsync(V1Deployment d, ReplicaSetFamily family, CancellationToken ct)
    {
        var oldActive = RolloutMath.Active(family.Old);
        if (RolloutMath.SpecReplicas(oldActive) == 0)
            return false;
        var newRs = family.New!;
        var minAvailable = RolloutMath.Replicas(d) - RolloutMath.MaxUnavailable(d);
        var newUnavailable = RolloutMath.Replicas(newRs) - RolloutMath.AvailableAfterScaling(newRs);
        var maxScaledDown = RolloutMath.SpecReplicas(family.All) - minAvailable - newUnavailable;
        if (maxScaledDown <= 0)
            return false;
        var cleaned = await ScaleDownUnhealthyAsync(d, family, maxScaledDown, ct);
        var scaled = await ScaleDownAvailableAsync(d, family, ct);
        return cleaned + scaled > 0;
    }

    /// <summary>Removes old replicas that are not available (they lower no availability), up to <paramref name="max"/>.</summary>
    private async Task<int> ScaleDownUnhealthyAsync(V1Deployment d, ReplicaSetFamily family, int max, CancellationToken ct)
    {
        var total = 0;
        foreach (var rs in RolloutMath.OldestFirst(family.Old.Where(rs => family.New?.Metadata.Uid != rs.Metadata.Uid)))
        {
            if (total >= max)
                break;
            var replicas = RolloutMath.Replicas(rs);
            var available = RolloutMath.AvailableAfterScaling(rs);
            if (replicas == 0 || replicas <= available)
                continue;
            var count = Math.Min(max - total, replicas - available);
            await ScaleReplicaSetAsync(d, family, rs, replicas - count, ct);
            total += count;
        }
        return total;
    }

    /// <summary>Removes available old replicas while more than replicas - maxUnavailable are available, oldest ReplicaSet first.</summary>
    private async Task<int> ScaleDownAvailableAsync(V1Deployment d, ReplicaSetFamily family, CancellationToken ct)
    {
        var minAvailable = RolloutMath.Replicas(d) - RolloutMath.MaxUnavailable(d);
        var available = RolloutMath.AvailableAfterScaling(family.All);
        if (available <= minAvailable)
            return 0;
        var toRemove = available - minAvailable;
        var total = 0;
        foreach (var rs in RolloutMath.OldestFirst(family.Old))
        {
            if (total >= toRemove)
                break;
            var replicas = RolloutMath.Replicas(rs);
            if (replicas == 0)
                continue;
            var count = Math.Min(replicas, toRemove - total);
            await ScaleReplicaSetAsync(d, family, rs, replicas - count, ct);
            total += count;
        }
        return total;
    }

    /// <summary>Recreate: every old ReplicaSet to zero, wait until none of their pods is left, then the new one at full size.</summary>
    private async Task RolloutRecreateAsync(V1Deployment d, List<V1ReplicaSet> owned, CancellationToken ct)
    {
        var family = await FamilyAsync(d, owned, create: false, ct);
        var scaledDown = false;
        foreach (var rs in RolloutMath.Active(family.Old))
            scaledDown |= await ScaleReplicaSetAsync(d, family, rs, 0, ct);
        if (scaledDown || OldPodsRunning(family))
        {
            await SyncRolloutStatusAsync(d, family, ct);
            return;
        }
        if (family.New is null)
        {
            family = await FamilyAsync(d, [.. family.All], create: true, ct);
            if (family.New is null)
                return;
        }
        await ScaleReplicaSetAsync(d, family, family.New!, RolloutMath.Replicas(d), ct);
        if (DeploymentConditions.IsComplete(d, d.Status ?? new V1DeploymentStatus()))
            await CleanupAsync(d, family, ct);
        await SyncRolloutStatusAsync(d, family, ct);
    }

    /// <summary>
    /// Whether any pod of an old ReplicaSet may still run: its status counts some, or a pod it controls has not
    /// finished (a terminating pod runs until it is gone).
    /// </summary>
    private bool OldPodsRunning(ReplicaSetFamily family)
    {
        if (RolloutMath.StatusReplicas(family.Old) > 0)
            return true;
        var oldUids = family.Old.Select(rs => rs.Metadata.Uid).ToHashSet(StringComparer.Ordinal);
        if (oldUids.Count == 0)
            return false;
        var ns = family.Old[0].Namespace() ?? "";
        return _pods.Cache.ByIndex(InformerCache<V1Pod>.NamespaceIndex, ns).Any(pod =>
            ControllerRefs.ControllerOf(pod.Metadata) is { } owner && oldUids.Contains(owner.Uid) && !PodState.IsFinished(pod));
    }
}
