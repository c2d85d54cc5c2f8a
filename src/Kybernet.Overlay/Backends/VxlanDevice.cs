using System.Net.Sockets;
using Kybernet.Linux.Netlink;

namespace Kybernet.Overlay.Backends;

/// <summary>
/// Keeps the vxlan device as specified: an existing device with the same VNI, local address, port, parent
/// and learning setting is kept (so its MAC, published in the lease, survives a restart); anything else
/// under that name is deleted and created anew. MTU, state and (when the spec names one) MAC are corrected
/// in place. Each step that changed something is added to <c>changes</c>, in words, for the log.
/// </summary>
public static class VxlanDevice
{
    public static LinkInfo Ensure(RtNetlink netlink, VxlanSpec spec, ICollection<string>? changes = null)
    {
        int? parent = spec.Parent is null ? null : netlink.Links.Get(spec.Parent).Index;
        var existing = netlink.Links.Find(spec.Name);
        if (existing is not null && !Matches(existing, spec, parent))
        {
            netlink.Links.Delete(spec.Name);
            changes?.Add($"recreated {spec.Name} (vxlan {spec.Vni}{MacText(spec)}): its vxlan settings had changed");
            existing = null;
        }
        else if (existing is null)
        {
            changes?.Add($"recreated {spec.Name} (vxlan {spec.Vni}{MacText(spec)}): it was missing");
        }
        var link = existing ?? netlink.Links.CreateVxlan(spec);
        if (spec.Mac is { } mac && link.Mac is { } actual && !actual.Equals(mac))
        {
            netlink.Links.SetMac(spec.Name, mac);
            changes?.Add($"restored {spec.Name}'s MAC {MacAddress.Format(mac)} (the one in the lease; it was {MacAddress.Format(actual)})");
        }
        if (spec.Mtu is int mtu && link.Mtu != mtu)
        {
            netlink.Links.SetMtu(spec.Name, mtu);
            if (existing is not null)
                changes?.Add($"restored {spec.Name}'s MTU {mtu} (it was {link.Mtu})");
        }
        if (!link.IsUp)
        {
            netlink.Links.SetUp(spec.Name);
            if (existing is not null)
                changes?.Add($"set {spec.Name} up (it was down)");
        }
        return netlink.Links.Get(spec.Name);
    }

    /// <summary>Leaves <paramref name="address"/> as the device's only IPv4 address.</summary>
    public static void EnsureOnlyAddress(RtNetlink netlink, string device, InterfaceAddress address, ICollection<string>? changes = null)
    {
        var present = netlink.Addresses.List(device, AddressFamily.InterNetwork);
        foreach (var other in present.Where(a => a.Address != address))
        {
            netlink.Addresses.Delete(device, other.Address);
            changes?.Add($"removed address {other.Address} from {device} (its only address is {address})");
        }
        if (!present.Any(a => a.Address == address))
        {
            netlink.Addresses.Add(device, address);
            changes?.Add($"restored address {address} on {device}");
        }
    }

    internal static bool Matches(LinkInfo link, VxlanSpec spec, int? parent) =>
        link.Kind == "vxlan"
        && link.Vxlan is { } v
        && v.Vni == spec.Vni
        && Equals(v.Local, spec.Local)
        && v.Port == spec.Port
        && v.Learning == spec.Learning
        && (parent is null || v.ParentIndex == parent);

    private static string MacText(VxlanSpec spec) => spec.Mac is { } mac ? $", MAC {MacAddress.Format(mac)}" : "";
}
