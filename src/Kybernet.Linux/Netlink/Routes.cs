using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Kybernet.Linux.Netlink;

/// <summary>The routing tables of one namespace.</summary>
public sealed class Routes
{
    private readonly NetlinkSocket _socket;
    private readonly Links _links;

    internal Routes(NetlinkSocket socket, Links links)
    {
        _socket = socket;
        _links = links;
    }

    /// <summary>Adds a route; EEXIST if the same destination is already routed in that table.</summary>
    public void Add(Route route) => Send(Rtm.NewRoute, NlFlags.Create | NlFlags.Excl, route, $"add route {route}");

    /// <summary>Adds the route or overwrites the one with the same destination (idempotent).</summary>
    public void Replace(Route route) => Send(Rtm.NewRoute, NlFlags.Create | NlFlags.Replace, route, $"replace route {route}");

    public void Delete(Route route) => Send(Rtm.DelRoute, 0, route, $"delete route {route}");

    /// <summary>Routes of one table (main by default) and family (IPv4 by default), device names filled in.</summary>
    public IReadOnlyList<Route> List(uint table = Route.MainTable, AddressFamily family = AddressFamily.InterNetwork)
    {
        var request = new NetlinkRequest().Begin(Rtm.GetRoute, NlFlags.Dump);
        request.Append(new RtMsg { Family = Addresses.ToKernel(family) });
        var found = new List<(Route Route, int? Oif)>();
        _socket.Dump(request, "list routes", (type, body) =>
        {
            if (type == Rtm.NewRoute && Parse(body, family) is { } parsed && parsed.Route.Table == table)
                found.Add(parsed);
        });
        if (found.Count == 0)
            return [];
        var names = _links.List().ToDictionary(l => l.Index, l => l.Name);
        return found.Select(f => f.Oif is int oif && names.TryGetValue(oif, out var n) ? f.Route with { Device = n } : f.Route).ToList();
    }

    private void Send(ushort type, ushort flags, Route route, string operation)
    {
        var family = route.Destination.BaseAddress.AddressFamily;
        var scope = route.Scope ?? DefaultScope(route);
        var request = new NetlinkRequest().Begin(type, (ushort)(NlFlags.Ack | flags));
        request.Append(new RtMsg
        {
            Family = Addresses.ToKernel(family),
            DstLength = (byte)route.Destination.PrefixLength,
            Table = route.Table < 256 ? (byte)route.Table : (byte)0,
            Protocol = type == Rtm.DelRoute ? (byte)0 : route.Protocol,
            Scope = type == Rtm.DelRoute ? (byte)RouteScope.Nowhere : (byte)scope,
            Type = (byte)route.Type,
            Flags = route.OnLink ? RtFlags.OnLink : 0,
        });
        if (route.Destination.PrefixLength > 0)
            request.Address(Rta.Dst, route.Destination.BaseAddress);
        if (route.Table >= 256)
            request.U32(Rta.Table, route.Table);
        if (route.Gateway is not null)
            request.Address(Rta.Gateway, route.Gateway);
        if (route.Device is not null)
            request.U32(Rta.Oif, (uint)_links.Get(route.Device).Index);
        if (route.Metric is uint metric)
            request.U32(Rta.Priority, metric);
        if (route.PreferredSource is not null)
            request.Address(Rta.PrefSrc, route.PreferredSource);
        _socket.Execute(request, operation);
    }

    private static RouteScope DefaultScope(Route route) => route.Type switch
    {
        RouteType.Local => RouteScope.Host,
        RouteType.Unicast when route.Gateway is null => RouteScope.Link,
        _ => RouteScope.Universe,
    };

    private static (Route Route, int? Oif)? Parse(ReadOnlySpan<byte> body, AddressFamily family)
    {
        var header = MemoryMarshal.Read<RtMsg>(body);
        IPAddress? dst = null, gateway = null, source = null;
        uint table = header.Table;
        uint? metric = null;
        int? oif = null;
        foreach (var a in new NetlinkAttributes(body[Marshal.SizeOf<RtMsg>()..]))
        {
            switch (a.Type)
            {
                case Rta.Dst: dst = a.Address; break;
                case Rta.Gateway: gateway = a.Address; break;
                case Rta.PrefSrc: source = a.Address; break;
                case Rta.Table: table = a.U32; break;
                case Rta.Priority: metric = a.U32; break;
                case Rta.Oif: oif = (int)a.U32; break;
            }
        }
        var any = family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
        var route = new Route(new IPNetwork(dst ?? any, header.DstLength))
        {
            Gateway = gateway,
            OnLink = (header.Flags & RtFlags.OnLink) != 0,
            Scope = (RouteScope)header.Scope,
            Table = table,
            Metric = metric,
            PreferredSource = source,
            Type = (RouteType)header.Type,
            Protocol = header.Protocol,
        };
        return (route, oif);
    }
}
