using System.Net;
using System.Text.Json.Nodes;

namespace Kybernet.Overlay.Subnets;

/// <summary>
/// Where nodes get their share of the pod network and learn each other's (flannel's subnet.Manager):
/// one over etcd in flannel's layout (<see cref="EtcdSubnetManager"/>), one over the Kubernetes API with the Node object as
/// the lease (<see cref="KubeSubnetManager"/>).
/// </summary>
public interface ISubnetManager
{
    /// <summary>The network config (PREFIX/config), parsed and defaulted; <see cref="NetworkConfigException"/> if absent or invalid.</summary>
    Task<NetworkConfig> GetNetworkConfigAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// A subnet for the node at <paramref name="publicIp"/>: the one it already holds, else
    /// <paramref name="previousSubnet"/> (from subnet.env) if it is free and in the config, else a free one.
    /// Throws <see cref="SubnetsExhaustedException"/> when every subnet is taken.
    /// </summary>
    Task<SubnetLease> AcquireLeaseAsync(IPAddress publicIp, string backendType, JsonObject backendData, IPNetwork? previousSubnet = null, CancellationToken cancellationToken = default);

    /// <summary>Extends the lease by its TTL; <see cref="SubnetLostException"/> if another node holds the subnet now.</summary>
    Task<SubnetLease> RenewLeaseAsync(SubnetLease lease, CancellationToken cancellationToken = default);

    /// <summary>
    /// The other nodes' leases: with <paramref name="fromRevision"/> 0, first one batch of Added for the current
    /// set (possibly empty), then changes as they happen (a lease that expires is Removed). With a revision
    /// (a batch's <see cref="LeaseEventBatch.Revision"/> + 1), changes from there on. Ends when cancelled.
    /// </summary>
    IAsyncEnumerable<LeaseEventBatch> WatchLeasesAsync(long fromRevision = 0, CancellationToken cancellationToken = default);

    /// <summary>Gives the subnet back now (other nodes see it Removed). A lease no longer ours is left alone.</summary>
    Task ReleaseLeaseAsync(SubnetLease lease, CancellationToken cancellationToken = default);
}

/// <summary>Lease changes seen together, and the store revision they bring the watcher up to.</summary>
public sealed record LeaseEventBatch(IReadOnlyList<LeaseEvent> Events, long Revision);
