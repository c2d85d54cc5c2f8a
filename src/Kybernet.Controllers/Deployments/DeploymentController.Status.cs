using k8s;
using k8s.Models;

namespace Kybernet.Controllers.Deployments;

// The Deployment's status: counts from its ReplicaSets, the Available condition, and during a rollout the Progressing
// condition with its deadline.
public sealed partial class DeploymentController
{
    /// <summary>The status the ReplicaSets give, with the Available condition by replicas - maxUnavailable.</summary>
    private V1DeploymentStatus CalculateStatus(V1Deployment d, ReplicaSetFamily family)
    {
        var all = family.All;
        var available = RolloutMath.AvailableReplicas(all);
        var status = new V1DeploymentStatus
        {
            ObservedGeneration = d.Metadata.Generation,
            Replicas = RolloutMath.StatusReplicas(all),
            UpdatedReplicas = family.New?.Status?.Replicas ?? 0,
            ReadyReplicas = RolloutMath.ReadyReplicas(all),
            AvailableReplicas = available,
            UnavailableReplicas = Math.Max(0, RolloutMath.SpecReplicas(all) - available),
            CollisionCount = d.Status?.CollisionCount,
            Conditions = [.. (d.Status?.Conditions ?? []).Select(Copy)],
        };
        var condition = available >= RolloutMath.Replicas(d) - RolloutMath.MaxUnavailable(d)
            ? DeploymentConditions.New(DeploymentConditions.Available, DeploymentConditions.True, DeploymentConditions.MinimumReplicasAvailable, "Deployment has minimum availability.", Now)
            : DeploymentConditions.New(DeploymentConditions.Available, DeploymentConditions.False, DeploymentConditions.MinimumReplicasUnavailable, "Deployment does not have minimum availability.", Now);
        DeploymentConditions.Set(status, condition);
        return status;
    }

    /// <summary>Outside a rollout (paused, scaling, being deleted): the counts and Available, nothing about progress.</summary>
    private async Task SyncStatusAsync(V1Deployment d, ReplicaSetFamily family, CancellationToken ct)
    {
        var status = CalculateStatus(d, family);
        if (SameStatus(d.Status, status))
            return;
        d.Status = status;
        await WriteStatusAsync(d, ct);
    }

    /// <summary>
    /// During a rollout: the counts, then Progressing: NewReplicaSetAvailable when complete, ReplicaSetUpdated
    /// (keeping its transition time) on any progress, False with ProgressDeadlineExceeded once the deadline passed
    /// since the last progress; and the ReplicaSets' ReplicaFailure. Without a write, a wake-up at the deadline.
    /// </summary>
    private async Task SyncRolloutStatusAsync(V1Deployment d, ReplicaSetFamily family, CancellationToken ct)
    {
        var status = CalculateStatus(d, family);
        if (!DeploymentConditions.HasProgressDeadline(d))
            DeploymentConditions.Remove(status, DeploymentConditions.Progressing);
        var current = DeploymentConditions.Get(d.Status, DeploymentConditions.Progressing);
        var alreadyComplete = status.Replicas == status.UpdatedReplicas && current?.Reason == DeploymentConditions.NewReplicaSetAvailable;
        if (DeploymentConditions.HasProgressDeadline(d) && !alreadyComplete)
        {
            var subject = family.New is { } rs ? $"ReplicaSet \"{rs.Name()}\"" : $"Deployment \"{d.Name()}\"";
            if (DeploymentConditions.IsComplete(d, status))
            {
                DeploymentConditions.Set(status, DeploymentConditions.New(DeploymentConditions.Progressing, DeploymentConditions.True, DeploymentConditions.NewReplicaSetAvailable, $"{subject} has successfully progressed.", Now));
            }
            else if (DeploymentConditions.IsProgressing(d, status))
            {
                // Progress moves lastUpdateTime on (the deadline counts from it) even with the same reason.
                var condition = DeploymentConditions.New(DeploymentConditions.Progressing, DeploymentConditions.True, DeploymentConditions.ReplicaSetUpdated, $"{subject} is progressing.", Now);
                if (current is { Status: DeploymentConditions.True })
                    condition.LastTransitionTime = current.LastTransitionTime;
                DeploymentConditions.Remove(status, DeploymentConditions.Progressing);
                DeploymentConditions.Set(status, condition);
            }
            else if (DeploymentConditions.IsTimedOut(d, status, Now))
            {
                DeploymentConditions.Set(status, DeploymentConditions.New(DeploymentConditions.Progressing, DeploymentConditions.False, DeploymentConditions.ProgressDeadlineExceeded, $"{subject} has timed out progressing.", Now));
            }
        }
        if (ReplicaFailure(family) is { } failure)
            DeploymentConditions.Set(status, failure);
        else
            DeploymentConditions.Remove(status, DeploymentConditions.ReplicaFailure);

        if (SameStatus(d.Status, status))
        {
            RequeueAtDeadline(d, status);
            return;
        }
        d.Status = status;
        await WriteStatusAsync(d, ct);
    }

    /// <summary>The first ReplicaFailure condition of the new ReplicaSet, else of an old one, as the Deployment's.</summary>
    private static V1DeploymentCondition? ReplicaFailure(ReplicaSetFamily family)
    {
        var ordered = family.New is null ? family.Old : [family.New, .. family.Old];
        foreach (var rs in ordered)
        {
            if (rs.Status?.Conditions?.FirstOrDefault(c => c.Type == DeploymentConditions.ReplicaFailure) is { } c)
                return new V1DeploymentCondition { Type = c.Type, Status = c.Status, Reason = c.Reason, Message = c.Message, LastUpdateTime = c.LastTransitionTime, LastTransitionTime = c.LastTransitionTime };
        }
        return null;
    }

    /// <summary>
    /// A rollout that makes no progress changes nothing, so nothing would wake us when its deadline passes: look
    /// again at that moment (upstream's requeueStuckDeployment).
    /// </summary>
    private void RequeueAtDeadline(V1Deployment d, V1DeploymentStatus status)
    {
        var current = DeploymentConditions.Get(d.Status, DeploymentConditions.Progressing);
        if (!DeploymentConditions.HasProgressDeadline(d) || current is null || DeploymentConditions.IsComplete(d, status) || current.Reason == DeploymentConditions.ProgressDeadlineExceeded)
            return;
        if (current.LastUpdateTime is not { } from)
            return;
        var after = DeploymentConditions.Utc(from).AddSeconds(d.Spec.ProgressDeadlineSeconds!.Value) - Now;
        // One second past: the deadline must have passed (by whole seconds) when we look.
        Queue.AddAfter(KeyOf(d), after < TimeSpan.Zero ? TimeSpan.FromSeconds(1) : after + TimeSpan.FromSeconds(1));
    }

    private static bool SameStatus(V1DeploymentStatus? a, V1DeploymentStatus b) =>
        KubernetesJson.Serialize(a ?? new V1DeploymentStatus()) == KubernetesJson.Serialize(b);

    /// <summary>Writes d.Status through /status (conditional on the version read); d takes the stored version and status.</summary>
    private async Task WriteStatusAsync(V1Deployment d, CancellationToken ct)
    {
        var stored = await _client.AppsV1.ReplaceNamespacedDeploymentStatusAsync(d, d.Name(), d.Namespace(), cancellationToken: ct);
        d.Metadata.ResourceVersion = stored.Metadata.ResourceVersion;
        d.Status = stored.Status;
    }
}
