namespace Kybernet.Controllers.DaemonSets;

/// <summary>The DaemonSet controller's settings (kube-controller-manager's --concurrent-daemonset-syncs and the failed pod backoff).</summary>
public sealed record DaemonSetControllerOptions
{
    /// <summary>DaemonSets reconciled at once (--concurrent-daemonset-syncs, 2 upstream).</summary>
    public int Workers { get; init; } = 2;

    /// <summary>How long after deleting a failed daemon pod the next failed one on that node is deleted (doubling; upstream 1 s).</summary>
    public TimeSpan FailedPodBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest such wait (upstream: 15 min).</summary>
    public TimeSpan MaxFailedPodBackoff { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>How soon a DaemonSet whose sync failed is tried again, at first.</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromMilliseconds(100);
}
