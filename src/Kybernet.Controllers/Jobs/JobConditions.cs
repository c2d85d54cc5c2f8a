using k8s.Models;

namespace Kybernet.Controllers.Jobs;

/// <summary>A Job's status conditions, with upstream's types, reasons and messages (batch/v1).</summary>
public static class JobConditions
{
    public const string Complete = "Complete";
    public const string Failed = "Failed";
    public const string Suspended = "Suspended";
    /// <summary>The job has succeeded; Complete follows once its pods are all terminated (1.31+).</summary>
    public const string SuccessCriteriaMet = "SuccessCriteriaMet";
    /// <summary>The job has failed; Failed follows once its pods are all terminated (1.31+).</summary>
    public const string FailureTarget = "FailureTarget";

    public const string BackoffLimitExceeded = "BackoffLimitExceeded";
    public const string BackoffLimitExceededMessage = "Job has reached the specified backoff limit";
    public const string DeadlineExceeded = "DeadlineExceeded";
    public const string DeadlineExceededMessage = "Job was active longer than specified deadline";
    public const string CompletionsReached = "CompletionsReached";
    public const string CompletionsReachedMessage = "Reached expected number of succeeded pods";

    public static V1JobCondition? Find(V1JobStatus? status, string type) => status?.Conditions?.FirstOrDefault(c => c.Type == type);

    public static bool IsTrue(V1JobStatus? status, string type) => Find(status, type)?.Status == "True";

    /// <summary>Complete or Failed: the job will never run a pod again.</summary>
    public static bool IsFinished(V1Job job) => IsTrue(job.Status, Complete) || IsTrue(job.Status, Failed);

    /// <summary>When the job finished (its Complete or Failed condition's transition), or null while it runs.</summary>
    public static DateTimeOffset? FinishedAt(V1Job job)
    {
        var condition = job.Status?.Conditions?.FirstOrDefault(c => c.Type is Complete or Failed && c.Status == "True");
        return condition?.LastTransitionTime is { } at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : null;
    }

    /// <summary>
    /// Sets the condition of <paramref name="type"/> (added when missing); its transition time moves only when its status
    /// does. Returns whether anything changed.
    /// </summary>
    public static bool Set(V1JobStatus status, string type, bool value, string reason, string message, DateTime now)
    {
        status.Conditions ??= [];
        var text = value ? "True" : "False";
        var existing = status.Conditions.FirstOrDefault(c => c.Type == type);
        if (existing is null)
        {
            status.Conditions.Add(new V1JobCondition { Type = type, Status = text, Reason = reason, Message = message, LastProbeTime = now, LastTransitionTime = now });
            return true;
        }
        if (existing.Status == text && existing.Reason == reason && existing.Message == message)
            return false;
        if (existing.Status != text)
            existing.LastTransitionTime = now;
        existing.Status = text;
        existing.Reason = reason;
        existing.Message = message;
        existing.LastProbeTime = now;
        return true;
    }
}
