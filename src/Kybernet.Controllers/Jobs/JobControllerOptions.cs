namespace Kybernet.Controllers.Jobs;

/// <summary>The Job controller's settings (kube-controller-manager's --concurrent-job-syncs and the pod failure backoff).</summary>
public sealed record JobControllerOptions
{
    /// <summary>Jobs reconciled at once (--concurrent-job-syncs, 5 upstream).</summary>
    public int Workers { get; init; } = 5;

    /// <summary>The wait before a failed pod is replaced, doubled for each further failure (upstream: 10 s).</summary>
    public TimeSpan PodFailureBackoff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest wait before a failed pod is replaced (upstream: 6 min).</summary>
    public TimeSpan MaxPodFailureBackoff { get; init; } = TimeSpan.FromMinutes(6);

    /// <summary>How soon a job whose status write failed is tried again, at first.</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromMilliseconds(100);
}
