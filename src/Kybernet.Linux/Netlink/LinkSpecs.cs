using System.Net;
using System.Net.NetworkInformation;
using Kybernet.Linux.Namespaces;

namespace Kybernet.Linux.Netlink;

/// <summary>A veth pair: <see cref="Name"/> here, <see cref="PeerName"/> created directly in <see cref="PeerNamespace"/> (or here).</summary>
public sealed record VethSpec(string Name, string PeerName)
{
    public NetworkNamespace? PeerNamespace { get; init; }
    public int? Mtu { get; init; }
    public PhysicalAddress? Mac { get; init; }
    public PhysicalAddress? PeerMac { get; init; }
}

/// <summary>
/// A vxlan device as flannel configures one: a VNI, the local VTEP address, the UDP port, learning off
/// (forwarding comes from static neighbour and FDB entries), and optionally the underlay device.
/// </summary>
public sealed record VxlanSpec(string Name, uint Vni)
{
    public IPAddress? Local { get; init; }
    public string? Parent { get; init; }
    public ushort Port { get; init; } = 8472;
    public bool Learning { get; init; }
    public bool Gbp { get; init; }
    public int? Mtu { get; init; }
    public PhysicalAddress? Mac { get; init; }
}

public enum MacvlanMode : uint
{
    Private = 1,
    Vepa = 2,
    Bridge = 4,
    Passthru = 8,
}
