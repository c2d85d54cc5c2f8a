namespace Kybernet.Controllers.NodeLifecycle;

/// <summary>kube-controller-manager's node lifecycle flags.</summary>
public sealed record NodeLifecycleOptions
{
    /// <summary>Upstream's --node-monitor-grace-period default.</summary>
    public static readonly TimeSpan DefaultGracePeriod = TimeSpan.FromSeconds(40);

    /// <summary>--node-monitor-grace-period: how long a node may go without a heartbeat before it is called Unknown.</summary>
    public TimeSpan GracePeriod { get; init; } = DefaultGracePeriod;

    /// <summary>--node-monitor-period: how often every node's health is looked at again.</summary>
    public TimeSpan MonitorPeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long to wait before retrying a node after an API call failed.</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The clock (tests may use a fake one).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
