using k8s.Models;

namespace Kybernet.Controllers.Common;

/// <summary>What controllers ask of a pod's status, with upstream's meanings (k8s.io/kubernetes/pkg/api/v1/pod).</summary>
public static class PodState
{
    public const string Running = "Running";
    public const string Pending = "Pending";
    public const string Succeeded = "Succeeded";
    public const string Failed = "Failed";

    /// <summary>Not finished and not being deleted: what a ReplicaSet counts toward its replicas.</summary>
    public static bool IsActive(V1Pod pod) =>
        pod.Status?.Phase is not (Succeeded or Failed) && pod.Metadata.DeletionTimestamp is null;

    public static bool IsTerminating(V1Pod pod) => pod.Metadata.DeletionTimestamp is not null;

    /// <summary>Ran to an end (Succeeded or Failed): it will never run again.</summary>
    public static bool IsFinished(V1Pod pod) => pod.Status?.Phase is Succeeded or Failed;

    public static bool IsScheduled(V1Pod pod) => !string.IsNullOrEmpty(pod.Spec?.NodeName);

    /// <summary>The pod's condition of this type, or null.</summary>
    public static V1PodCondition? Condition(V1Pod pod, string type) =>
        pod.Status?.Conditions?.FirstOrDefault(c => c.Type == type);

    /// <summary>The Ready condition is True.</summary>
    public static bool IsReady(V1Pod pod) => Condition(pod, "Ready")?.Status == "True";

    /// <summary>Ready for at least <paramref name="minReadySeconds"/> (since the Ready condition's last transition) at <paramref name="now"/>.</summary>
    public static bool IsAvailable(V1Pod pod, int minReadySeconds, DateTimeOffset now)
    {
        if (Condition(pod, "Ready") is not { Status: "True" } ready)
            return false;
        if (minReadySeconds <= 0)
            return true;
        return ready.LastTransitionTime is { } since && new DateTimeOffset(DateTime.SpecifyKind(since, DateTimeKind.Utc)).AddSeconds(minReadySeconds) <= now;
    }

    /// <summary>When a Ready pod becomes available (null: not ready, or already available at <paramref name="now"/>): when to look again.</summary>
    public static TimeSpan? UntilAvailable(V1Pod pod, int minReadySeconds, DateTimeOffset now)
    {
        if (minReadySeconds <= 0 || Condition(pod, "Ready") is not { Status: "True", LastTransitionTime: { } since })
            return null;
        var at = new DateTimeOffset(DateTime.SpecifyKind(since, DateTimeKind.Utc)).AddSeconds(minReadySeconds);
        return at > now ? at - now : null;
    }
}
