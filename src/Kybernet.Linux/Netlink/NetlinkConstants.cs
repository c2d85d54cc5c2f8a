namespace Kybernet.Linux.Netlink;

// Numbers from the kernel's uapi headers (linux/netlink.h, rtnetlink.h, if_link.h, if_addr.h,
// neighbour.h). Only the ones Kybernet uses.

internal static class NlMsg
{
    public const ushort Noop = 1, Error = 2, Done = 3;
}

internal static class NlFlags
{
    public const ushort Request = 0x1, Multi = 0x2, Ack = 0x4, Dump = 0x300;
    public const ushort Replace = 0x100, Excl = 0x200, Create = 0x400, Append = 0x800;
    /// <summary>On an error message: extended ack attributes follow the echoed request.</summary>
    public const ushort AckTlvs = 0x200, Capped = 0x100;
}

internal static class NlSockOpt
{
    public const int ExtAck = 11, GetStrictCheck = 12;
}

internal static class NlErrAttr
{
    public const ushort Msg = 1;
}

internal static class Rtm
{
    public const ushort NewLink = 16, DelLink = 17, GetLink = 18, SetLink = 19;
    public const ushort NewAddr = 20, DelAddr = 21, GetAddr = 22;
    public const ushort NewRoute = 24, DelRoute = 25, GetRoute = 26;
    public const ushort NewNeigh = 28, DelNeigh = 29, GetNeigh = 30;
}

internal static class Ifla
{
    public const ushort Address = 1, Broadcast = 2, IfName = 3, Mtu = 4, Link = 5, Master = 10,
        ProtInfo = 12, OperState = 16, LinkInfo = 18, NetNsPid = 19, AfSpec = 26, NetNsFd = 28, LinkNetNsId = 37;
}

internal static class IflaInfo
{
    public const ushort Kind = 1, Data = 2, SlaveKind = 4;
}

internal static class VethInfo
{
    public const ushort Peer = 1;
}

internal static class IflaVxlan
{
    public const ushort Id = 1, Link = 3, Local = 4, Ttl = 5, Learning = 7, Port = 15, Gbp = 23;
}

internal static class IflaMacvlan
{
    public const ushort Mode = 1;
}

/// <summary>Bridge attributes: IFLA_BR_* inside a bridge's link info, IFLA_BRPORT_* in a port's protinfo, IFLA_BRIDGE_* in af_spec.</summary>
internal static class Bridge
{
    public const ushort VlanFiltering = 7;
    public const ushort PortMode = 4; // IFLA_BRPORT_MODE: hairpin
    public const ushort VlanInfo = 2; // IFLA_BRIDGE_VLAN_INFO
    public const ushort VlanPvid = 0x2, VlanUntagged = 0x4;
    /// <summary>NLA_F_NESTED: the kernel insists on it for protinfo.</summary>
    public const ushort Nested = 0x8000;
}

internal static class Ifa
{
    public const ushort Address = 1, Local = 2, Label = 3, Broadcast = 4, Flags = 8;
}

internal static class Rta
{
    public const ushort Dst = 1, Src = 2, Oif = 4, Gateway = 5, Priority = 6, PrefSrc = 7, Table = 15;
}

internal static class Nda
{
    public const ushort Dst = 1, LlAddr = 2, Vlan = 5, Port = 6, Vni = 7, IfIndex = 8, Master = 9;
}

internal static class Iff
{
    public const uint Up = 0x1, Promisc = 0x100, LowerUp = 0x10000;
}

internal static class RtnType
{
    public const byte Unicast = 1, Local = 2, Broadcast = 3, Blackhole = 6, Unreachable = 7;
}

internal static class RtProt
{
    public const byte Kernel = 2, Boot = 3, Static = 4;
}

internal static class RtFlags
{
    public const uint OnLink = 4;
}

internal static class NudState
{
    public const ushort Reachable = 0x02, Stale = 0x04, NoArp = 0x40, Permanent = 0x80;
}

internal static class NtfFlags
{
    public const byte Self = 0x02, Master = 0x04;
}
