using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Kybernet.Linux.Netlink;

/// <summary>An ARP/NDP entry: <see cref="Address"/> is at <see cref="Mac"/> on <see cref="Device"/>.</summary>
public sealed record Neighbour(IPAddress Address, PhysicalAddress? Mac, string Device)
{
    /// <summary>NUD state bits; permanent entries never expire (what flannel installs for remote VTEPs).</summary>
    public ushort State { get; init; } = 0x80;

    public bool IsPermanent => (State & 0x80) != 0;
}

/// <summary>The neighbour (ARP) table of one namespace.</summary>
public sealed class Neighbours
{
    private readonly NetlinkSocket _socket;
    private readonly Links _links;

    internal Neighbours(NetlinkSocket socket, Links links)
    {
        _socket = socket;
        _links = links;
    }

    /// <summary>Sets the entry, replacing whatever the kernel had for that address (idempotent).</summary>
    public void Replace(Neighbour neighbour)
    {
        var request = Build(Rtm.NewNeigh, NlFlags.Create | NlFlags.Replace, neighbour);
        _socket.Execute(request, $"set neighbour {neighbour.Address} lladdr {neighbour.Mac} on {neighbour.Device}");
    }

    public void Delete(Neighbour neighbour)
    {
        var request = Build(Rtm.DelNeigh, 0, neighbour with { Mac = null });
        _socket.Execute(request, $"delete neighbour {neighbour.Address} on {neighbour.Device}");
    }

    /// <summary>Entries of one family (IPv4 by default) in the namespace, or of one device.</summary>
    public IReadOnlyList<Neighbour> List(string? device = null, AddressFamily family = AddressFamily.InterNetwork)
    {
        var names = _links.List().ToDictionary(l => l.Index, l => l.Name);
        int? index = device is null ? null : _links.Get(device).Index;
        var request = new NetlinkRequest().Begin(Rtm.GetNeigh, NlFlags.Dump);
        request.Append(new NdMsg { Family = Addresses.ToKernel(family) });
        var result = new List<Neighbour>();
        _socket.Dump(request, "list neighbours", (type, body) =>
        {
            var header = MemoryMarshal.Read<NdMsg>(body);
            if (type != Rtm.NewNeigh || header.Family != Addresses.ToKernel(family))
                return;
            if (index is not null && header.IfIndex != index)
                return;
            IPAddress? address = null;
            PhysicalAddress? mac = null;
            foreach (var a in new NetlinkAttributes(body[Marshal.SizeOf<NdMsg>()..]))
            {
                if (a.Type == Nda.Dst) address = a.Address;
                else if (a.Type == Nda.LlAddr) mac = new PhysicalAddress(a.Payload.ToArray());
            }
            if (address is not null)
                result.Add(new Neighbour(address, mac, names.GetValueOrDefault(header.IfIndex, $"#{header.IfIndex}")) { State = header.State });
        });
        return result;
    }

    private NetlinkRequest Build(ushort type, ushort flags, Neighbour neighbour)
    {
        int index = _links.Get(neighbour.Device).Index;
        var request = new NetlinkRequest().Begin(type, (ushort)(NlFlags.Ack | flags));
        request.Append(new NdMsg
        {
            Family = Addresses.ToKernel(neighbour.Address.AddressFamily),
            IfIndex = index,
            State = neighbour.State,
        });
        request.Address(Nda.Dst, neighbour.Address);
        if (neighbour.Mac is not null)
            request.Attribute(Nda.LlAddr, neighbour.Mac.GetAddressBytes());
        return request;
    }
}
