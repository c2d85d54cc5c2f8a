using System.Net.NetworkInformation;
using System.Runtime.InteropServices;
using Kybernet.Linux.Interop;
using Kybernet.Linux.Namespaces;

namespace Kybernet.Linux.Netlink;

/// <summary>Network interfaces of one namespace: create, change, move, delete and read back.</summary>
public sealed class Links
{
    private readonly NetlinkSocket _socket;

    internal Links(NetlinkSocket socket) => _socket = socket;

    /// <summary>Creates a veth pair; with a peer namespace the peer is born there and never exists here.</summary>
    public LinkInfo CreateVeth(VethSpec spec)
    {
        var where = spec.PeerNamespace is null ? "" : $" in {spec.PeerNamespace.Describe()}";
        var request = NewLink(spec.Name, spec.Mtu, spec.Mac);
        int info = request.BeginNested(Ifla.LinkInfo);
        request.String(IflaInfo.Kind, "veth");
        int data = request.BeginNested(IflaInfo.Data);
        int peer = request.BeginNested(VethInfo.Peer);
        request.Append(new IfInfoMsg());
        request.String(Ifla.IfName, spec.PeerName);
        if (spec.Mtu is int mtu)
            request.U32(Ifla.Mtu, (uint)mtu);
        if (spec.PeerMac is not null)
            request.Attribute(Ifla.Address, spec.PeerMac.GetAddressBytes());
        if (spec.PeerNamespace is not null)
            request.U32(Ifla.NetNsFd, (uint)spec.PeerNamespace.Fd);
        request.EndNested(peer).EndNested(data).EndNested(info);
        _socket.Execute(request, $"create veth {spec.Name} (peer {spec.PeerName}{where})");
        return Get(spec.Name);
    }

    public LinkInfo CreateBridge(string name, int? mtu = null, PhysicalAddress? mac = null)
    {
        var request = NewLink(name, mtu, mac);
        int info = request.BeginNested(Ifla.LinkInfo);
        request.String(IflaInfo.Kind, "bridge");
        request.EndNested(info);
        _socket.Execute(request, $"create bridge {name}");
        return Get(name);
    }

    public LinkInfo CreateVxlan(VxlanSpec spec)
    {
        int? parent = spec.Parent is null ? null : Get(spec.Parent).Index;
        var request = NewLink(spec.Name, spec.Mtu, spec.Mac);
        int info = request.BeginNested(Ifla.LinkInfo);
        request.String(IflaInfo.Kind, "vxlan");
        int data = request.BeginNested(IflaInfo.Data);
        request.U32(IflaVxlan.Id, spec.Vni);
        if (spec.Local is not null)
            request.Address(IflaVxlan.Local, spec.Local);
        if (parent is int p)
            request.U32(IflaVxlan.Link, (uint)p);
        request.U16BigEndian(IflaVxlan.Port, spec.Port);
        request.U8(IflaVxlan.Learning, spec.Learning ? (byte)1 : (byte)0);
        if (spec.Gbp)
            request.Attribute(IflaVxlan.Gbp, []);
        request.EndNested(data).EndNested(info);
        _socket.Execute(request, $"create vxlan {spec.Name} (vni {spec.Vni})");
        return Get(spec.Name);
    }

    public LinkInfo CreateMacvlan(string name, string parent, MacvlanMode mode = MacvlanMode.Bridge, int? mtu = null)
    {
        int parentIndex = Get(parent).Index;
        var request = NewLink(name, mtu, null);
        request.U32(Ifla.Link, (uint)parentIndex);
        int info = request.BeginNested(Ifla.LinkInfo);
        request.String(IflaInfo.Kind, "macvlan");
        int data = request.BeginNested(IflaInfo.Data);
        request.U32(IflaMacvlan.Mode, (uint)mode);
        request.EndNested(data).EndNested(info);
        _socket.Execute(request, $"create macvlan {name} on {parent}");
        return Get(name);
    }

    public void SetUp(string name) => Change(name, $"set link {name} up", _ => { }, flags: Iff.Up, change: Iff.Up);

    public void SetDown(string name) => Change(name, $"set link {name} down", _ => { }, flags: 0, change: Iff.Up);

    /// <summary>Receive every frame (the reference bridge plugin's promiscMode).</summary>
    public void SetPromiscuous(string name, bool on) =>
        Change(name, $"set promiscuous mode {(on ? "on" : "off")} on {name}", _ => { }, flags: on ? Iff.Promisc : 0, change: Iff.Promisc);

    /// <summary>Lets a bridge port send frames back out of the port they came in by (hairpin mode).</summary>
    public void SetHairpin(string port, bool on)
    {
        int index = Get(port).Index;
        var request = new NetlinkRequest().Begin(Rtm.SetLink, NlFlags.Ack);
        request.Append(new IfInfoMsg { Family = Libc.AF_BRIDGE, Index = index });
        int info = request.BeginNested((ushort)(Ifla.ProtInfo | Bridge.Nested));
        request.U8(Bridge.PortMode, on ? (byte)1 : (byte)0);
        request.EndNested(info);
        _socket.Execute(request, $"set hairpin mode {(on ? "on" : "off")} on {port}");
    }

    /// <summary>Turns VLAN filtering on or off for a bridge (needed before ports get VLANs).</summary>
    public void SetVlanFiltering(string bridge, bool on) =>
        Change(bridge, $"set vlan filtering {(on ? "on" : "off")} on {bridge}", r =>
        {
            int info = r.BeginNested(Ifla.LinkInfo);
            r.String(IflaInfo.Kind, "bridge");
            int data = r.BeginNested(IflaInfo.Data);
            r.U8(Bridge.VlanFiltering, on ? (byte)1 : (byte)0);
            r.EndNested(data).EndNested(info);
        });

    /// <summary>Adds a VLAN to a bridge port; as the port's PVID and untagged, it is the port's access VLAN.</summary>
    public void AddPortVlan(string port, ushort vid, bool pvidUntagged = true) =>
        PortVlan(Rtm.SetLink, port, vid, pvidUntagged ? (ushort)(Bridge.VlanPvid | Bridge.VlanUntagged) : (ushort)0, $"add vlan {vid} to {port}");

    public void DeletePortVlan(string port, ushort vid) => PortVlan(Rtm.DelLink, port, vid, 0, $"delete vlan {vid} from {port}");

    /// <summary>The VLANs of a bridge port (or of the bridge itself), read back from the kernel.</summary>
    public IReadOnlyList<(ushort Vid, bool Pvid, bool Untagged)> PortVlans(string port)
    {
        int index = Get(port).Index;
        const uint FilterBridgeVlan = 1 << 1; // RTEXT_FILTER_BRVLAN: include per-port VLANs in the dump
        var request = new NetlinkRequest().Begin(Rtm.GetLink, NlFlags.Dump);
        request.Append(new IfInfoMsg { Family = Libc.AF_BRIDGE });
        request.U32(29, FilterBridgeVlan); // IFLA_EXT_MASK
        var vlans = new List<(ushort, bool, bool)>();
        _socket.Dump(request, $"list vlans of {port}", (type, body) =>
        {
            var header = MemoryMarshal.Read<IfInfoMsg>(body);
            if (type != Rtm.NewLink || header.Index != index)
                return;
            foreach (var a in new NetlinkAttributes(body[Marshal.SizeOf<IfInfoMsg>()..]))
                if (a.Type == Ifla.AfSpec)
                    foreach (var v in a.Nested)
                        if (v.Type == Bridge.VlanInfo && v.Payload.Length >= 4)
                        {
                            ushort flags = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(v.Payload);
                            ushort vid = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(v.Payload[2..]);
                            vlans.Add((vid, (flags & Bridge.VlanPvid) != 0, (flags & Bridge.VlanUntagged) != 0));
                        }
        });
        return vlans;
    }

    /// <summary>Whether a bridge port is in hairpin mode (IFLA_BRPORT_MODE in its protinfo).</summary>
    public bool GetHairpin(string port)
    {
        int index = Get(port).Index;
        var request = new NetlinkRequest().Begin(Rtm.GetLink, NlFlags.Dump);
        request.Append(new IfInfoMsg { Family = Libc.AF_BRIDGE });
        bool hairpin = false;
        _socket.Dump(request, $"get bridge port settings of {port}", (type, body) =>
        {
            var header = MemoryMarshal.Read<IfInfoMsg>(body);
            if (type != Rtm.NewLink || header.Index != index)
                return;
            foreach (var a in new NetlinkAttributes(body[Marshal.SizeOf<IfInfoMsg>()..]))
                if (a.Type == Ifla.ProtInfo)
                    foreach (var p in a.Nested)
                        if (p.Type == Bridge.PortMode)
                            hairpin = p.U8 != 0;
        });
        return hairpin;
    }

    private void PortVlan(ushort type, string port, ushort vid, ushort flags, string operation)
    {
        if (vid is 0 or > 4094)
            throw new ArgumentOutOfRangeException(nameof(vid), vid, "a VLAN id is 1-4094");
        int index = Get(port).Index;
        var request = new NetlinkRequest().Begin(type, NlFlags.Ack);
        request.Append(new IfInfoMsg { Family = Libc.AF_BRIDGE, Index = index });
        int spec = request.BeginNested(Ifla.AfSpec);
        Span<byte> info = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(info, flags);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(info[2..], vid);
        request.Attribute(Bridge.VlanInfo, info);
        request.EndNested(spec);
        _socket.Execute(request, operation);
    }

    public void SetMtu(string name, int mtu) =>
        Change(name, $"set mtu {mtu} on {name}", r => r.U32(Ifla.Mtu, (uint)mtu));

    public void SetMac(string name, PhysicalAddress mac) =>
        Change(name, $"set mac {mac} on {name}", r => r.Attribute(Ifla.Address, mac.GetAddressBytes()));

    /// <summary>Makes <paramref name="name"/> a port of the bridge <paramref name="master"/>.</summary>
    public void SetMaster(string name, string master)
    {
        int masterIndex = Get(master).Index;
        Change(name, $"attach {name} to bridge {master}", r => r.U32(Ifla.Master, (uint)masterIndex));
    }

    public void ClearMaster(string name) => Change(name, $"detach {name} from its bridge", r => r.U32(Ifla.Master, 0));

    /// <summary>Moves a link into another namespace (it keeps its name there unless it clashes).</summary>
    public void MoveTo(string name, NetworkNamespace target) =>
        Change(name, $"move link {name} to {target.Describe()}", r => r.U32(Ifla.NetNsFd, (uint)target.Fd));

    public void Rename(string name, string newName)
    {
        int index = Get(name).Index;
        var request = new NetlinkRequest().Begin(Rtm.NewLink, NlFlags.Ack);
        request.Append(new IfInfoMsg { Index = index });
        request.String(Ifla.IfName, newName);
        _socket.Execute(request, $"rename link {name} to {newName}");
    }

    public void Delete(string name)
    {
        ValidateName(name);
        var request = new NetlinkRequest().Begin(Rtm.DelLink, NlFlags.Ack);
        request.Append(new IfInfoMsg());
        request.String(Ifla.IfName, name);
        _socket.Execute(request, $"delete link {name}");
    }

    /// <summary>Deletes the link if it exists; returns whether it did. Idempotent teardown uses this.</summary>
    public bool DeleteIfExists(string name)
    {
        try
        {
            Delete(name);
            return true;
        }
        catch (LinuxException e) when (e.ErrorName is "ENODEV")
        {
            return false;
        }
    }

    /// <summary>The link named <paramref name="name"/>; ENODEV if there is none.</summary>
    public LinkInfo Get(string name)
    {
        ValidateName(name);
        var request = new NetlinkRequest().Begin(Rtm.GetLink, 0);
        request.Append(new IfInfoMsg());
        request.String(Ifla.IfName, name);
        LinkInfo? found = null;
        _socket.Query(request, $"get link {name}", (type, body) => found = Parse(body));
        return found ?? throw new LinuxException($"get link {name} in {_socket.Where}", 19);
    }

    public LinkInfo Get(int index)
    {
        var request = new NetlinkRequest().Begin(Rtm.GetLink, 0);
        request.Append(new IfInfoMsg { Index = index });
        LinkInfo? found = null;
        _socket.Query(request, $"get link #{index}", (type, body) => found = Parse(body));
        return found ?? throw new LinuxException($"get link #{index} in {_socket.Where}", 19);
    }

    public LinkInfo? Find(string name)
    {
        try { return Get(name); }
        catch (LinuxException e) when (e.ErrorName is "ENODEV") { return null; }
    }

    public IReadOnlyList<LinkInfo> List()
    {
        var request = new NetlinkRequest().Begin(Rtm.GetLink, NlFlags.Dump);
        request.Append(new IfInfoMsg());
        var links = new List<LinkInfo>();
        _socket.Dump(request, "list links", (type, body) =>
        {
            if (type == Rtm.NewLink)
                links.Add(Parse(body));
        });
        return links;
    }

    /// <summary>RTM_NEWLINK without NLM_F_CREATE on an existing name changes that link.</summary>
    private void Change(string name, string operation, Action<NetlinkRequest> attributes, uint flags = 0, uint change = 0)
    {
        ValidateName(name);
        var request = new NetlinkRequest().Begin(Rtm.NewLink, NlFlags.Ack);
        request.Append(new IfInfoMsg { Flags = flags, Change = change });
        request.String(Ifla.IfName, name);
        attributes(request);
        _socket.Execute(request, operation);
    }

    private static NetlinkRequest NewLink(string name, int? mtu, PhysicalAddress? mac)
    {
        ValidateName(name);
        var request = new NetlinkRequest().Begin(Rtm.NewLink, NlFlags.Ack | NlFlags.Create | NlFlags.Excl);
        request.Append(new IfInfoMsg());
        request.String(Ifla.IfName, name);
        if (mtu is int m)
            request.U32(Ifla.Mtu, (uint)m);
        if (mac is not null)
            request.Attribute(Ifla.Address, mac.GetAddressBytes());
        return request;
    }

    /// <summary>Interface names are at most 15 bytes, no '/', no whitespace (IFNAMSIZ and dev_valid_name).</summary>
    public static void ValidateName(string name)
    {
        if (string.IsNullOrEmpty(name) || System.Text.Encoding.UTF8.GetByteCount(name) > 15 || name is "." or ".."
            || name.Any(c => c == '/' || c == ':' || char.IsWhiteSpace(c)))
            throw new ArgumentException($"invalid interface name \"{name}\" (1-15 bytes, no '/', ':' or spaces)", nameof(name));
    }

    internal static LinkInfo Parse(ReadOnlySpan<byte> body)
    {
        var header = MemoryMarshal.Read<IfInfoMsg>(body);
        string name = "";
        string? kind = null;
        int mtu = 0;
        PhysicalAddress? mac = null;
        int? master = null, parent = null, parentNs = null;
        VxlanInfo? vxlan = null;
        foreach (var a in new NetlinkAttributes(body[Marshal.SizeOf<IfInfoMsg>()..]))
        {
            switch (a.Type)
            {
                case Ifla.IfName: name = a.String; break;
                case Ifla.Mtu: mtu = (int)a.U32; break;
                case Ifla.Address: mac = new PhysicalAddress(a.Payload.ToArray()); break;
                case Ifla.Master: master = (int)a.U32; break;
                case Ifla.Link: parent = (int)a.U32; break;
                case Ifla.LinkNetNsId: parentNs = a.S32; break;
                case Ifla.LinkInfo:
                    foreach (var i in a.Nested)
                    {
                        if (i.Type == IflaInfo.Kind)
                            kind = i.String;
                        else if (i.Type == IflaInfo.Data && kind == "vxlan")
                            vxlan = ParseVxlan(i.Nested);
                    }
                    break;
            }
        }
        return new LinkInfo
        {
            Index = header.Index,
            Name = name,
            Kind = kind,
            Flags = header.Flags,
            Mtu = mtu,
            Mac = mac,
            MasterIndex = master,
            ParentIndex = parent,
            ParentNamespaceId = parentNs,
            Vxlan = vxlan,
        };
    }

    private static VxlanInfo ParseVxlan(NetlinkAttributes data)
    {
        uint vni = 0;
        System.Net.IPAddress? local = null;
        ushort port = 0;
        bool learning = false;
        int? parent = null;
        foreach (var d in data)
        {
            switch (d.Type)
            {
                case IflaVxlan.Id: vni = d.U32; break;
                case IflaVxlan.Local: local = d.Address; break;
                case IflaVxlan.Port: port = d.U16BigEndian; break;
                case IflaVxlan.Learning: learning = d.U8 != 0; break;
                case IflaVxlan.Link: parent = (int)d.U32; break;
            }
        }
        return new VxlanInfo(vni, local, port, learning, parent);
    }
}
