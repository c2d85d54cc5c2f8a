using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Overlay.Subnets;

/// <summary>flanneld's --kube-subnet-mgr settings.</summary>
public sealed record KubeSubnetManagerOptions
{
    /// <summary>flannel's default --net-config-path inside its pod.</summary>
    public const string DefaultNetConfPath = "/etc/kube-flannel/net-conf.json";

    /// <summary>flannel's default --kube-annotation-prefix.</summary>
    public const string DefaultAnnotationPrefix = "flannel.alpha.coreos.com";

    /// <summary>This node's Node object (flannel's NODE_NAME); the kubelet creates it, the manager only waits for it.</summary>
    public required string NodeName { get; init; }

    /// <summary>The network config JSON, the same document as the etcd mode's PREFIX/config.</summary>
    public string NetConfPath { get; init; } = DefaultNetConfPath;

    /// <summary>flannel's --kube-annotation-prefix: annotations are PREFIX/public-ip, PREFIX/backend-type, ...</summary>
    public string AnnotationPrefix { get; init; } = DefaultAnnotationPrefix;

    /// <summary>
    /// A lease's <see cref="SubnetLease.Expiration"/> (flannel: 24 h). The Node object is the lease and has no TTL; this
    /// only paces the agent's renewals, which re-check the node and restore the annotations if they went missing.
    /// </summary>
    public TimeSpan LeaseRefresh { get; init; } = TimeSpan.FromHours(24);

    /// <summary>What the manager waits for, and its watch's failures; nothing by default.</summary>
    public ILogger Log { get; init; } = NullLogger.Instance;
}
