using System.Net;

namespace Kybernet.Overlay.Backends;

/// <summary>
/// The host-gw backend's desired state, computed purely: for each remote lease, a route to its subnet via
/// the remote node's public address on the underlay device. That only works when the remote node is a
/// direct neighbour, so a public address outside every subnet of the underlay device is refused.
/// </summary>
public static class HostGwPlanner
{
    public static DesiredState Plan(
        NetworkConfig config, SubnetLease local, string device, IReadOnlyList<IPNetwork> deviceSubnets, IReadOnlyCollection<SubnetLease> others)
    {
        var problems = new List<string>();
        var routes = new List<OverlayRoute>();
        foreach (var lease in RemoteLeases.Select(config.Network, local, HostGwBackend.TypeName, others, problems))
        {
            if (!deviceSubnets.Any(s => s.Contains(lease.PublicIp)))
            {
                var where = deviceSubnets.Count == 0 ? $"{device} has no IPv4 subnet" : $"{lease.PublicIp} is not on {device}'s {string.Join(" or ", deviceSubnets)}";
                problems.Add($"{RemoteLeases.Describe(lease)}: host-gw needs the nodes on one L2 network: {where}");
                continue;
            }
            routes.Add(new OverlayRoute(lease.Subnet, lease.PublicIp, device));
        }
        return new DesiredState(new OverlayState(routes, [], []), problems);
    }
}
