using Kybernet.Linux.Netlink;

namespace Kybernet.Overlay.Backends;

/// <summary>
/// Keeps the vxlan device as specified: an existing device with the same VNI, local address, port, parent
/// and learning setting is kept (so its MAC, published in the lease, survives a restart); anything else
/// under that name is deleted and created anew. MTU and state are corrected in place.
/// </summary>
public static class VxlanDevice
{
    public static LinkInfo Ensure(RtNetlink netlink, VxlanSpec spec)
    {
        int? parent = spec.Parent is null ? null : netlink.Links.Get(spec.Parent).Index;
        var existing = netlink.Links.Find(spec.Name);
        if (existing is not null && !Matches(existing, spec, parent))
        {
            netlink.Links.Delete(spec.Name);
            existing = null;
        }
        var link = existing ?? netlink.Links.CreateVxlan(spec);
        if (spec.Mtu is int mtu && link.Mtu != mtu)
            netlink.Links.SetMtu(spec.Name, mtu);
        if (!link.IsUp)
            netlink.Links.SetUp(spec.Name);
        return netlink.Links.Get(spec.Name);
    }

    /// <summary>Leaves <paramref name="address"/> as the device's only IPv4 address.</summary>
    public static void EnsureOnlyAddress(RtNetlink netlink, string device, InterfaceAddress address)
    {
        var present = netlink.Addresses.List(device, System.Net.Sockets.AddressFamily.InterNetwork);
        foreach (var other in present.Where(a => a.Address != address))
            netlink.Addresses.Delete(device, other.Address);
        if (!present.Any(a => a.Address == address))
            netlink.Addresses.Add(device, address);
    }

    internal static bool Matches(LinkInfo link, VxlanSpec spec, int? parent) =>
        link.Kind == "vxlan"
        && link.Vxlan is { } v
        && v.Vni == spec.Vni
        && Equals(v.Local, spec.Local)
        && v.Port == spec.Port
        && v.Learning == spec.Learning
        && (parent is null || v.ParentIndex == parent);
}
