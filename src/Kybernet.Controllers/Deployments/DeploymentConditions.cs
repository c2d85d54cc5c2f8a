using k8s.Models;

namespace Kybernet.Controllers.Deployments;

/// <summary>
/// A Deployment's conditions with upstream's types, reasons and rules: setting a condition to the status and reason
/// it has changes nothing; a new status keeps no transition time of the old; whether the rollout is complete,
/// progressing, or past its deadline.
/// </summary>
public static class DeploymentConditions
{
    public const string Available = "Available";
    public const string Progressing = "Progressing";
    public const string ReplicaFailure = "ReplicaFailure";

    public const string MinimumReplicasAvailable = "MinimumReplicasAvailable";
    public const string MinimumReplicasUnavailable = "MinimumReplicasUnavailable";
    public const string NewReplicaSetCreated = "NewReplicaSetCreated";
    public const string FoundNewReplicaSet = "FoundNewReplicaSet";
    public const string ReplicaSetUpdated = "ReplicaSetUpdated";
    public const string NewReplicaSetAvailable = "NewReplicaSetAvailable";
    public const string ProgressDeadlineExceeded = "ProgressDeadlineExceeded";
    public const string FailedReplicaSetCreate = "ReplicaSetCreateError";
    public const string DeploymentPaused = "DeploymentPaused";
    public const string DeploymentResumed = "DeploymentResumed";

    public const string True = "True";
    public const string False = "False";
    public const string Unknown = "Unknown";

    public static V1DeploymentCondition New(string type, string status, string reason, string message, DateTime now) => new()
    {
        Type = type,
        Status = status,
        Reason = reason,
        Message = message,
        LastUpdateTime = now,
        LastTransitionTime = now,
    };

    public static V1DeploymentCondition? Get(V1DeploymentStatus? status, string type) =>
        status?.Conditions?.FirstOrDefault(c => c.Type == type);

    /// <summary>Upstream's SetDeploymentCondition: same status and reason is no change; same status keeps its transition time.</summary>
    public static void Set(V1DeploymentStatus status, V1DeploymentCondition condition)
    {
        var current = Get(status, condition.Type);
        if (current is not null && current.Status == condition.Status && current.Reason == condition.Reason)
            return;
        if (current is not null && current.Status == condition.Status)
            condition.LastTransitionTime = current.LastTransitionTime;
        Remove(status, condition.Type);
        status.Conditions ??= [];
        status.Conditions.Add(condition);
    }

    public static void Remove(V1DeploymentStatus status, string type)
    {
        if (status.Conditions is null)
            return;
        foreach (var c in status.Conditions.Where(c => c.Type == type).ToList())
            status.Conditions.Remove(c);
    }

    /// <summary>progressDeadlineSeconds is set (and not "forever", MaxInt32).</summary>
    public static bool HasProgressDeadline(V1Deployment d) =>
        d.Spec.ProgressDeadlineSeconds is { } seconds && seconds != int.MaxValue;

    /// <summary>Every replica updated, available, and no other left; the latest spec observed.</summary>
    public static bool IsComplete(V1Deployment d, V1DeploymentStatus status) =>
        status.UpdatedReplicas == RolloutMath.Replicas(d) &&
        status.Replicas == RolloutMath.Replicas(d) &&
        status.AvailableReplicas == RolloutMath.Replicas(d) &&
        status.ObservedGeneration >= d.Metadata.Generation;

    /// <summary>Something moved since the status last written: more updated, fewer old, more ready or available.</summary>
    public static bool IsProgressing(V1Deployment d, V1DeploymentStatus next)
    {
        var old = d.Status ?? new V1DeploymentStatus();
        var oldOld = (old.Replicas ?? 0) - (old.UpdatedReplicas ?? 0);
        var nextOld = (next.Replicas ?? 0) - (next.UpdatedReplicas ?? 0);
        return (next.UpdatedReplicas ?? 0) > (old.UpdatedReplicas ?? 0) ||
               nextOld < oldOld ||
               (next.ReadyReplicas ?? 0) > (old.ReadyReplicas ?? 0) ||
               (next.AvailableReplicas ?? 0) > (old.AvailableReplicas ?? 0);
    }

    /// <summary>No progress recorded for progressDeadlineSeconds (since the Progressing condition's last update).</summary>
    public static bool IsTimedOut(V1Deployment d, V1DeploymentStatus status, DateTime now)
    {
        if (!HasProgressDeadline(d) || Get(status, Progressing) is not { } condition)
            return false;
        if (condition.Reason == NewReplicaSetAvailable)
            return false;
        if (condition.Reason == ProgressDeadlineExceeded)
            return true;
        return condition.LastUpdateTime is { } from && Utc(from).AddSeconds(d.Spec.ProgressDeadlineSeconds!.Value) < now;
    }

    public static DateTime Utc(DateTime t) => t.Kind == DateTimeKind.Utc ? t : DateTime.SpecifyKind(t, DateTimeKind.Utc);
}
