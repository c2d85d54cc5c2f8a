using System.Text.Json.Nodes;

namespace Kybernet.Overlay.Backends;

/// <summary>
/// A registered overlay on one node (flannel's <c>backend.Network</c>). <see cref="Apply"/> is level-triggered:
/// given every other node's lease it makes the kernel hold exactly the entries those leases need, removes
/// what belonged to leases that are gone, and changes nothing when called twice with the same leases. It
/// re-reads the kernel every time, so applying the same leases again is also the repair: the agent's resync
/// does exactly that, and a network restores what it keeps whatever the leases (its device, that device's
/// address and route) before the entries, logging each repair.
/// </summary>
public interface INetwork : IDisposable
{
    /// <summary>The backend type ("vxlan").</summary>
    string BackendType { get; }

    /// <summary>This node's lease, as acquired.</summary>
    SubnetLease Lease { get; }

    /// <summary>What this node publishes in its lease for the others (vxlan: VNI and VTEP MAC; host-gw: nothing).</summary>
    JsonObject BackendData => Lease.BackendData;

    /// <summary>The MTU pods and the bridge must use: the underlay's, minus the encapsulation overhead.</summary>
    int Mtu { get; }

    /// <summary>
    /// Faults if the data path stops on its own (the udp backend's threads); never completes otherwise. The agent
    /// stops on it, so a supervisor restarts it, rather than running on with a node that forwards nothing.
    /// </summary>
    Task Failure { get; }

    /// <summary>Restores the network's own device, then reconciles the kernel to exactly <paramref name="others"/> (the local lease among them is ignored).</summary>
    /// <exception cref="BackendException">Some leases could not be used or some entries not be set; all the others were applied.</exception>
    void Apply(IReadOnlyCollection<SubnetLease> others);
}
