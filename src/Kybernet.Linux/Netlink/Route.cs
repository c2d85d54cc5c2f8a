using System.Net;

namespace Kybernet.Linux.Netlink;

/// <summary>
/// A route: where to (<see cref="Destination"/>), and how (via <see cref="Gateway"/>, out of <see cref="Device"/>).
/// Scope left null is chosen as iproute2 does: link for routes without a gateway, universe otherwise, host for local.
/// </summary>
public sealed record Route(IPNetwork Destination)
{
    public const uint MainTable = 254;

    public IPAddress? Gateway { get; init; }
    public string? Device { get; init; }
    /// <summary>Trust that the gateway is reachable on <see cref="Device"/> even outside its subnets (flannel's vxlan routes).</summary>
    public bool OnLink { get; init; }
    public RouteScope? Scope { get; init; }
    public uint Table { get; init; } = MainTable;
    public uint? Metric { get; init; }
    public IPAddress? PreferredSource { get; init; }
    public RouteType Type { get; init; } = RouteType.Unicast;
    /// <summary>rtnetlink protocol: 2 kernel, 3 boot (iproute2's default), 4 static.</summary>
    public byte Protocol { get; init; } = 3;

    public static Route Default(IPAddress gateway) => new(new IPNetwork(IPAddress.Any, 0)) { Gateway = gateway };

    public override string ToString()
    {
        var text = Destination.PrefixLength == 0 ? "default" : Destination.ToString();
        if (Type != RouteType.Unicast) text = $"{Type.ToString().ToLowerInvariant()} {text}";
        if (Gateway is not null) text += $" via {Gateway}";
        if (Device is not null) text += $" dev {Device}";
        if (OnLink) text += " onlink";
        if (Table != MainTable) text += $" table {Table}";
        return text;
    }
}
