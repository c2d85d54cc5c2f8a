namespace Kybernet.Overlay.Backends;

/// <summary>
/// One way of carrying pod traffic between nodes (flannel's <c>backend.Backend</c>): "vxlan", "host-gw", "udp".
/// A backend is made for one node's external interface; registering the network prepares the node's
/// kernel, acquires the local lease (publishing this backend's data in it) and returns the
/// <see cref="INetwork"/> that then follows the other nodes' leases.
/// </summary>
public interface IBackend
{
    /// <summary>The backend type, as written in the network config and in every lease ("vxlan").</summary>
    string Name { get; }

    /// <summary>
    /// Prepares the node (devices, forwarding), calls <paramref name="acquireLease"/> with the data the other
    /// nodes need to reach this one, and configures the node for the lease it got.
    /// </summary>
    Task<INetwork> RegisterNetworkAsync(NetworkConfig config, LeaseAcquirer acquireLease, CancellationToken cancellationToken = default);
}
