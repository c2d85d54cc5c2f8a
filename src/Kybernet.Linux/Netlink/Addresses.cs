using System.Net.Sockets;
using System.Runtime.InteropServices;
using Kybernet.Linux.Interop;

namespace Kybernet.Linux.Netlink;

/// <summary>An address on an interface, as read back from the kernel.</summary>
public sealed record AddressInfo(int LinkIndex, InterfaceAddress Address, RouteScope Scope, string? Label);

/// <summary>IP addresses of one namespace's interfaces.</summary>
public sealed class Addresses
{
    private const uint NoPrefixRoute = 0x200; // IFA_F_NOPREFIXROUTE: no automatic subnet route
    private readonly NetlinkSocket _socket;
    private readonly Links _links;

    internal Addresses(NetlinkSocket socket, Links links)
    {
        _socket = socket;
        _links = links;
    }

    /// <summary>Adds an address; EEXIST if it is already there.</summary>
    public void Add(string link, InterfaceAddress address, bool noPrefixRoute = false) =>
        Send(Rtm.NewAddr, NlFlags.Create | NlFlags.Excl, link, address, noPrefixRoute, $"add address {address} to {link}");

    /// <summary>Adds the address or refreshes it if present (idempotent).</summary>
    public void Replace(string link, InterfaceAddress address, bool noPrefixRoute = false) =>
        Send(Rtm.NewAddr, NlFlags.Create | NlFlags.Replace, link, address, noPrefixRoute, $"replace address {address} on {link}");

    public void Delete(string link, InterfaceAddress address) =>
        Send(Rtm.DelAddr, 0, link, address, false, $"delete address {address} from {link}");

    /// <summary>Every address in the namespace, or those of one link.</summary>
    public IReadOnlyList<AddressInfo> List(string? link = null, AddressFamily family = AddressFamily.Unspecified)
    {
        int? index = link is null ? null : _links.Get(link).Index;
        var request = new NetlinkRequest().Begin(Rtm.GetAddr, NlFlags.Dump);
        request.Append(new IfAddrMsg { Family = ToKernel(family) });
        var result = new List<AddressInfo>();
        _socket.Dump(request, "list addresses", (type, body) =>
        {
            if (type != Rtm.NewAddr)
                return;
            var info = Parse(body);
            if ((index is null || info.LinkIndex == index) && (family == AddressFamily.Unspecified || info.Address.Family == family))
                result.Add(info);
        });
        return result;
    }

    private void Send(ushort type, ushort flags, string link, InterfaceAddress address, bool noPrefixRoute, string operation)
    {
        int index = _links.Get(link).Index;
        var request = new NetlinkRequest().Begin(type, (ushort)(NlFlags.Ack | flags));
        request.Append(new IfAddrMsg
        {
            Family = ToKernel(address.Family),
            PrefixLength = (byte)address.PrefixLength,
            Index = index,
        });
        // IFA_LOCAL is the interface's own address; IFA_ADDRESS the same on non point-to-point links.
        request.Address(Ifa.Local, address.Address);
        request.Address(Ifa.Address, address.Address);
        if (noPrefixRoute)
            request.U32(Ifa.Flags, NoPrefixRoute);
        _socket.Execute(request, operation);
    }

    internal static byte ToKernel(AddressFamily family) => family switch
    {
        AddressFamily.InterNetwork => Libc.AF_INET,
        AddressFamily.InterNetworkV6 => Libc.AF_INET6,
        _ => Libc.AF_UNSPEC,
    };

    private static AddressInfo Parse(ReadOnlySpan<byte> body)
    {
        var header = MemoryMarshal.Read<IfAddrMsg>(body);
        System.Net.IPAddress? local = null, address = null;
        string? label = null;
        foreach (var a in new NetlinkAttributes(body[Marshal.SizeOf<IfAddrMsg>()..]))
        {
            switch (a.Type)
            {
                case Ifa.Local: local = a.Address; break;
                case Ifa.Address: address = a.Address; break;
                case Ifa.Label: label = a.String; break;
            }
        }
        var ip = local ?? address ?? System.Net.IPAddress.None;
        return new AddressInfo(header.Index, new InterfaceAddress(ip, header.PrefixLength), (RouteScope)header.Scope, label);
    }
}
