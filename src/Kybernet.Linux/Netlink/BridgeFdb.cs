using System.Net;
using System.Net.NetworkInformation;
using System.Runtime.InteropServices;
using Kybernet.Linux.Interop;

namespace Kybernet.Linux.Netlink;

/// <summary>
/// A forwarding database entry: frames for <see cref="Mac"/> leave through <see cref="Device"/>; on a vxlan
/// device, <see cref="Destination"/> is the remote VTEP they are tunnelled to.
/// </summary>
public sealed record FdbEntry(PhysicalAddress Mac, string Device)
{
    public IPAddress? Destination { get; init; }
    /// <summary>The entry lives in the device itself (NTF_SELF), as vxlan entries do, rather than in its bridge.</summary>
    public bool Self { get; init; } = true;
    public bool Permanent { get; init; } = true;
}

/// <summary>Bridge and vxlan forwarding databases (`bridge fdb`) of one namespace.</summary>
public sealed class BridgeFdb
{
    private readonly NetlinkSocket _socket;
    private readonly Links _links;

    internal BridgeFdb(NetlinkSocket socket, Links links)
    {
        _socket = socket;
        _links = links;
    }

    /// <summary>Adds or overwrites the entry for this MAC (`bridge fdb replace`).</summary>
    public void Replace(FdbEntry entry) =>
        _socket.Execute(Build(Rtm.NewNeigh, NlFlags.Create | NlFlags.Replace, entry), $"set fdb entry {Describe(entry)}");

    /// <summary>Adds another destination for the MAC (`bridge fdb append`, e.g. several VTEPs for 00:00:00:00:00:00).</summary>
    public void Append(FdbEntry entry) =>
        _socket.Execute(Build(Rtm.NewNeigh, NlFlags.Create | NlFlags.Append, entry), $"append fdb entry {Describe(entry)}");

    public void Delete(FdbEntry entry) =>
        _socket.Execute(Build(Rtm.DelNeigh, 0, entry), $"delete fdb entry {Describe(entry)}");

    /// <summary>Entries of one device (or all devices).</summary>
    public IReadOnlyList<FdbEntry> List(string? device = null)
    {
        var names = _links.List().ToDictionary(l => l.Index, l => l.Name);
        int? index = device is null ? null : _links.Get(device).Index;
        var request = new NetlinkRequest().Begin(Rtm.GetNeigh, NlFlags.Dump);
        request.Append(new NdMsg { Family = Libc.AF_BRIDGE });
        var result = new List<FdbEntry>();
        _socket.Dump(request, "list fdb entries", (type, body) =>
        {
            var header = MemoryMarshal.Read<NdMsg>(body);
            if (type != Rtm.NewNeigh || header.Family != Libc.AF_BRIDGE || (index is not null && header.IfIndex != index))
                return;
            PhysicalAddress? mac = null;
            IPAddress? destination = null;
            foreach (var a in new NetlinkAttributes(body[Marshal.SizeOf<NdMsg>()..]))
            {
                if (a.Type == Nda.LlAddr) mac = new PhysicalAddress(a.Payload.ToArray());
                else if (a.Type == Nda.Dst) destination = a.Address;
            }
            if (mac is not null)
                result.Add(new FdbEntry(mac, names.GetValueOrDefault(header.IfIndex, $"#{header.IfIndex}"))
                {
                    Destination = destination,
                    Self = (header.Flags & NtfFlags.Self) != 0,
                    Permanent = (header.State & NudState.Permanent) != 0,
                });
        });
        return result;
    }

    private NetlinkRequest Build(ushort type, ushort flags, FdbEntry entry)
    {
        int index = _links.Get(entry.Device).Index;
        var request = new NetlinkRequest().Begin(type, (ushort)(NlFlags.Ack | flags));
        request.Append(new NdMsg
        {
            Family = Libc.AF_BRIDGE,
            IfIndex = index,
            State = entry.Permanent ? NudState.Permanent : NudState.Reachable,
            Flags = entry.Self ? NtfFlags.Self : NtfFlags.Master,
        });
        request.Attribute(Nda.LlAddr, entry.Mac.GetAddressBytes());
        if (entry.Destination is not null)
            request.Address(Nda.Dst, entry.Destination);
        return request;
    }

    private static string Describe(FdbEntry e) =>
        e.Destination is null ? $"{MacAddress.Format(e.Mac)} dev {e.Device}" : $"{MacAddress.Format(e.Mac)} dev {e.Device} dst {e.Destination}";
}
