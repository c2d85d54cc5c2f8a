using System.Net;
using System.Net.Sockets;
using Kybernet.Linux.Namespaces;
using Kybernet.Linux.Netlink;
using Kybernet.Linux.Tun;

namespace Kybernet.Overlay.Backends;

/// <summary>
/// The udp backend's TUN device "flannel0" and what the kernel keeps around it: its MTU and state, the local subnet's
/// network address as a /32, and the route sending the whole pod network into it. Shared by registration and by the
/// resync's repair, so both leave the same device behind.
/// </summary>
internal static class UdpDevice
{
    public const string Name = UdpOptions.DeviceName;

    /// <summary>
    /// flannel0 for the proxy's dedicated threads: no poller; a virtio-net header on every packet; checksum and
    /// TSO4 offload, so TCP arrives as 64 KiB super-packets for the proxy to segment. Not TSO6 or USO: the
    /// overlay is IPv4 and UDP from pods is rarely segmented, so the kernel segments those before the read.
    /// </summary>
    public static readonly TunOptions TunOptions = new()
    {
        AsyncIo = false,
        VnetHeader = true,
        Offloads = TunOffloads.Checksum | TunOffloads.Tso4,
    };

    /// <summary>Creates flannel0 (not persistent: it goes with its descriptor), after removing whatever else holds the name.</summary>
    public static TunDevice Open(RtNetlink netlink, NetworkNamespace ns)
    {
        RemoveStale(netlink, ns);
        return TunDevice.Open(ns, Name, TunOptions);
    }

    /// <summary>MTU and state, as <paramref name="mtu"/> and up; adds what it changed to <paramref name="changes"/>.</summary>
    public static void EnsureLink(RtNetlink netlink, int mtu, ICollection<string>? changes = null)
    {
        var link = netlink.Links.Get(Name);
        if (link.Mtu != mtu)
        {
            netlink.Links.SetMtu(Name, mtu);
            changes?.Add($"restored {Name}'s MTU {mtu} (it was {link.Mtu})");
        }
        if (!link.IsUp)
        {
            netlink.Links.SetUp(Name);
            changes?.Add($"set {Name} up (it was down)");
        }
    }

    /// <summary>SUBNET.0/32 as the only address and the pod network's route into the device; adds what it changed.</summary>
    public static void EnsureAddressAndRoute(RtNetlink netlink, SubnetLease lease, IPNetwork network, ICollection<string>? changes = null)
    {
        VxlanDevice.EnsureOnlyAddress(netlink, Name, new InterfaceAddress(lease.Subnet.BaseAddress, 32), changes);
        var route = new Route(network) { Device = Name, Scope = RouteScope.Universe };
        if (!netlink.Routes.List(Route.MainTable, AddressFamily.InterNetwork).Any(r => r.Destination.Equals(network) && r.Device == Name))
        {
            netlink.Routes.Replace(route);
            changes?.Add($"restored route {network} dev {Name}");
        }
    }

    /// <summary>A flannel0 left persistent by someone else, or of another kind, is removed so ours can be created.</summary>
    private static void RemoveStale(RtNetlink netlink, NetworkNamespace ns)
    {
        var existing = netlink.Links.Find(Name);
        if (existing is null)
            return;
        if (existing.Kind == "tun")
            TunDevice.Delete(ns, Name);
        else
            netlink.Links.Delete(Name);
    }
}
