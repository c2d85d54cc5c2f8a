using Kybernet.Overlay.Backends;
using Kybernet.Overlay.Subnets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Overlay.Agent;

/// <summary>What one node's overlay agent is told (flanneld's flags).</summary>
public sealed record OverlayAgentOptions
{
    /// <summary>flannel re-checks its routes every 10 s (host-gw's routeCheck); the agent resyncs everything at that pace.</summary>
    public static readonly TimeSpan DefaultResyncPeriod = TimeSpan.FromSeconds(10);

    /// <summary>The node's namespace, underlay device and public address.</summary>
    public required ExternalInterface External { get; init; }

    /// <summary>Where subnet.env goes (flannel's --subnet-file); also read back for the previous subnet.</summary>
    public string SubnetFile { get; init; } = SubnetEnv.DefaultPath;

    /// <summary>Masquerade traffic leaving the pod network (flannel's --ip-masq).</summary>
    public bool IpMasq { get; init; }

    /// <summary>
    /// How often the agent re-reads the kernel and restores what went missing (routes, neighbours, FDB entries, the
    /// backend's device, forwarding, the masquerade table) and retries a failed apply, between lease events.
    /// </summary>
    public TimeSpan ResyncPeriod { get; init; } = DefaultResyncPeriod;

    /// <summary>Progress (information) and problems (warnings, errors); nothing by default.</summary>
    public ILogger Log { get; init; } = NullLogger.Instance;

    /// <summary>Wait after a failed lease watch before watching again from scratch.</summary>
    public TimeSpan WatchRetryInterval { get; init; } = TimeSpan.FromSeconds(1);
}
