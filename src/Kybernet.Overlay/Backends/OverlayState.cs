using System.Net;
using System.Net.NetworkInformation;
using Kybernet.Linux.Netlink;

namespace Kybernet.Overlay.Backends;

/// <summary>A route a backend owns: <see cref="Destination"/> via <see cref="Gateway"/> dev <see cref="Device"/> [onlink].</summary>
public sealed record OverlayRoute(IPNetwork Destination, IPAddress Gateway, string Device, bool OnLink = false)
{
    public override string ToString() => $"{Destination} via {Gateway} dev {Device}{(OnLink ? " onlink" : "")}";
}

/// <summary>A permanent neighbour a backend owns: <see cref="Address"/> lladdr <see cref="Mac"/> dev <see cref="Device"/>.</summary>
public sealed record OverlayNeighbour(IPAddress Address, PhysicalAddress Mac, string Device)
{
    public override string ToString() => $"{Address} lladdr {MacAddress.Format(Mac)} dev {Device}";
}

/// <summary>A vxlan forwarding entry a backend owns: frames for <see cref="Mac"/> go to the VTEP at <see cref="Destination"/>.</summary>
public sealed record OverlayFdbEntry(PhysicalAddress Mac, IPAddress Destination, string Device)
{
    public override string ToString() => $"{MacAddress.Format(Mac)} dev {Device} dst {Destination}";
}

/// <summary>
/// The kernel entries a backend owns on one node, desired or actual. Keys: a route by destination, a
/// neighbour by address, an FDB entry by MAC; a second value for the same key is a change, not an addition.
/// </summary>
public sealed record OverlayState(
    IReadOnlyList<OverlayRoute> Routes,
    IReadOnlyList<OverlayNeighbour> Neighbours,
    IReadOnlyList<OverlayFdbEntry> Fdb)
{
    public static OverlayState Empty { get; } = new([], [], []);
}
