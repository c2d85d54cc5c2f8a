using System.Net;
using System.Net.NetworkInformation;

namespace Kybernet.Linux.Netlink;

/// <summary>A network interface as the kernel reports it.</summary>
public sealed record LinkInfo
{
    public required int Index { get; init; }
    public required string Name { get; init; }
    /// <summary>The driver kind ("veth", "bridge", "vxlan", "tun", "macvlan"), or null for physical and loopback links.</summary>
    public string? Kind { get; init; }
    public uint Flags { get; init; }
    public int Mtu { get; init; }
    public PhysicalAddress? Mac { get; init; }
    /// <summary>The bridge this link is a port of.</summary>
    public int? MasterIndex { get; init; }
    /// <summary>IFLA_LINK: the lower device (vxlan, macvlan) or the peer's index (veth).</summary>
    public int? ParentIndex { get; init; }
    /// <summary>Set when the peer or lower device lives in another namespace.</summary>
    public int? ParentNamespaceId { get; init; }
    public VxlanInfo? Vxlan { get; init; }

    /// <summary>Administratively up (IFF_UP).</summary>
    public bool IsUp => (Flags & Iff.Up) != 0;

    public bool IsPromiscuous => (Flags & Iff.Promisc) != 0;

    /// <summary>Carrier present (IFF_LOWER_UP).</summary>
    public bool HasCarrier => (Flags & Iff.LowerUp) != 0;
}

/// <summary>The vxlan settings read back from a vxlan link.</summary>
public sealed record VxlanInfo(uint Vni, IPAddress? Local, ushort Port, bool Learning, int? ParentIndex);
