using System.Net;
using System.Text.Json.Nodes;

namespace Kybernet.Overlay;

/// <summary>
/// One node's share of the pod network, as flannel keeps it: the subnet, the node's public
/// (underlay) address, which backend it runs and that backend's data (vxlan: VNI and VTEP MAC),
/// and when the lease expires unless renewed.
/// </summary>
public sealed record SubnetLease(IPNetwork Subnet, IPAddress PublicIp, string BackendType, JsonObject BackendData, DateTimeOffset Expiration)
{
    /// <summary>flannel's key name for a subnet: "10.244.1.0-24".</summary>
    public string KeyName => $"{Subnet.BaseAddress}-{Subnet.PrefixLength}";
}

public enum LeaseEventType
{
    Added,
    Removed,
}

/// <summary>A change in the other nodes' leases, as a backend consumes it.</summary>
public sealed record LeaseEvent(LeaseEventType Type, SubnetLease Lease);
