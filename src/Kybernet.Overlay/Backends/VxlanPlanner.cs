using System.Net.NetworkInformation;

namespace Kybernet.Overlay.Backends;

/// <summary>
/// The vxlan backend's desired state, computed purely from leases (flannel's static vxlan design): for each
/// remote lease, a route to its subnet via the subnet's network address onlink on the vxlan device, a
/// permanent neighbour mapping that address to the remote VTEP MAC, and an FDB entry sending frames for
/// that MAC to the remote node's public address.
/// </summary>
public static class VxlanPlanner
{
    public static DesiredState Plan(NetworkConfig config, SubnetLease local, string device, IReadOnlyCollection<SubnetLease> others)
    {
        var problems = new List<string>();
        var routes = new List<OverlayRoute>();
        var neighbours = new List<OverlayNeighbour>();
        var fdb = new List<OverlayFdbEntry>();
        var byMac = new Dictionary<PhysicalAddress, SubnetLease>();
        foreach (var lease in RemoteLeases.Select(config.Network, local, VxlanBackend.TypeName, others, problems))
        {
            if (VtepMac(lease) is not { } mac)
            {
                problems.Add($"{RemoteLeases.Describe(lease)}: BackendData.VtepMAC is missing or not a MAC address");
                continue;
            }
            if (!byMac.TryAdd(mac, lease))
            {
                problems.Add($"{RemoteLeases.Describe(lease)}: VTEP MAC {Linux.Netlink.MacAddress.Format(mac)} is used by {RemoteLeases.Describe(byMac[mac])} too");
                continue;
            }
            var vtep = lease.Subnet.BaseAddress;
            routes.Add(new OverlayRoute(lease.Subnet, vtep, device, OnLink: true));
            neighbours.Add(new OverlayNeighbour(vtep, mac, device));
            fdb.Add(new OverlayFdbEntry(mac, lease.PublicIp, device));
        }
        return new DesiredState(new OverlayState(routes, neighbours, fdb), problems);
    }

    /// <summary>The remote VTEP's MAC from a lease's BackendData ("VtepMAC": "0a:58:0a:f4:02:00"), or null.</summary>
    public static PhysicalAddress? VtepMac(SubnetLease lease)
    {
        try
        {
            if (lease.BackendData["VtepMAC"]?.GetValue<string>() is not { } text)
                return null;
            var mac = PhysicalAddress.Parse(text);
            return mac.GetAddressBytes().Length == 6 ? mac : null;
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            return null;
        }
    }
}
