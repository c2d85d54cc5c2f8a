using System.Net;

namespace Kybernet.Kubelet.Node;

/// <summary>What the node part of the kubelet is told: who it is, where it is reachable, and how often it reports.</summary>
public sealed record NodeOptions
{
    public required string NodeName { get; init; }

    /// <summary>The node's address on the underlay (status.addresses InternalIP).</summary>
    public required IPAddress InternalIp { get; init; }

    /// <summary>The Hostname address and the kubernetes.io/hostname label; the node name when not given.</summary>
    public string? Hostname { get; init; }

    /// <summary>"containerd://1.6.20": the runtime's name and version as CRI Version reports them.</summary>
    public required string ContainerRuntimeVersion { get; init; }

    /// <summary>The kubelet's root directory: its filesystem is the node's ephemeral storage.</summary>
    public required string RootDirectory { get; init; }

    public int MaxPods { get; init; } = 110;

    public int KubeletPort { get; init; } = 10250;

    /// <summary>How often the status is computed and compared with what was written (upstream's nodeStatusUpdateFrequency).</summary>
    public TimeSpan StatusCheckInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often an unchanged status is written anyway (upstream's nodeStatusReportFrequency).</summary>
    public TimeSpan StatusReportInterval { get; init; } = TimeSpan.FromMinutes(5);

    public int LeaseDurationSeconds { get; init; } = 40;

    /// <summary>How often the Lease is renewed (upstream: a quarter of its duration).</summary>
    public TimeSpan LeaseRenewInterval { get; init; } = TimeSpan.FromSeconds(10);

    public string HostnameOrNodeName => Hostname ?? NodeName;
}
