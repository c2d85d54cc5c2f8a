using System.Net;

namespace Kybernet.Controllers.NodeIpam;

/// <summary>kube-controller-manager's --cluster-cidr and --node-cidr-mask-size.</summary>
public sealed record NodeIpamOptions
{
    /// <summary>flannel's pod network, which the agents' network config names too.</summary>
    public static readonly IPNetwork DefaultClusterCidr = IPNetwork.Parse("10.244.0.0/16");

    /// <summary>kube-controller-manager's default for IPv4: a /24 per node.</summary>
    public const int DefaultNodeCidrMaskSize = 24;

    /// <summary>The pod network the node CIDRs are cut from.</summary>
    public IPNetwork ClusterCidr { get; init; } = DefaultClusterCidr;

    /// <summary>The size of each node's CIDR.</summary>
    public int NodeCidrMaskSize { get; init; } = DefaultNodeCidrMaskSize;

    /// <summary>How long to wait before retrying after an API call failed.</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Throws <see cref="ArgumentException"/> naming the problem unless the pair makes sense (IPv4, mask inside the cluster CIDR, at most 2^16 node CIDRs).</summary>
    public void Validate() => CidrSet.Validate(ClusterCidr, NodeCidrMaskSize);
}
