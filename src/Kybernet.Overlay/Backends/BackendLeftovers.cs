using Kybernet.Linux.Netlink;

namespace Kybernet.Overlay.Backends;

/// <summary>
/// Switching backends on restart (the network config now names another one) must not leave the old one's
/// kernel state behind: a stale flannel.N keeps its /24 routes, which are more specific than udp's route
/// to the whole network and would win; host-gw's routes would collide with vxlan's. So before the chosen
/// backend registers, whatever the other backends (or vxlan under another VNI) left on a node is removed. flannel leaves this to the
/// operator; we do not. Running it when nothing is left over changes nothing.
/// </summary>
public static class BackendLeftovers
{
    /// <summary>Removes what backends other than <paramref name="keep"/> left on the node; returns what it removed, for the log.</summary>
    public static IReadOnlyList<string> RemoveAllBut(string keep, NetworkConfig config, ExternalInterface external)
    {
        var removed = new List<string>();
        using var netlink = RtNetlink.Open(external.Namespace);
        var links = netlink.Links.List();
        // flannel.<VNI>: the VNI an old config had is not known any more, so every vxlan device of that shape but
        // the one the config names now (its routes go with it).
        string? current = keep == VxlanBackend.TypeName ? VxlanOptions.From(config.Backend).DeviceName : null;
        // Only one that served this pod network (its address is in it): another network's flannel.N is not ours.
        foreach (var vxlan in links.Where(l => l.Kind == "vxlan" && l.Name.StartsWith("flannel.", StringComparison.Ordinal) && l.Name != current
                     && netlink.Addresses.List(l.Name).Any(a => config.Network.Contains(a.Address.Address))))
        {
            netlink.Links.Delete(vxlan.Name);
            removed.Add($"vxlan device {vxlan.Name}");
        }
        if (keep != UdpBackend.TypeName && links.FirstOrDefault(l => l.Name == UdpOptions.DeviceName) is { } tun
            && netlink.Addresses.List(tun.Name).Any(a => config.Network.Contains(a.Address.Address)))
        {
            if (tun.Kind == "tun")
                Kybernet.Linux.Tun.TunDevice.Delete(external.Namespace, tun.Name);
            else
                netlink.Links.Delete(tun.Name);
            removed.Add($"udp device {tun.Name}");
        }
        if (keep != HostGwBackend.TypeName)
        {
            // host-gw's routes: to a subnet of the pod network, via a gateway, out of the underlay device.
            foreach (var route in netlink.Routes.List().Where(r =>
                         r.Gateway is not null && r.Device == external.Device && RemoteLeases.Within(config.Network, r.Destination)))
            {
                netlink.Routes.Delete(route);
                removed.Add($"host-gw route {route}");
            }
        }
        return removed;
    }
}
