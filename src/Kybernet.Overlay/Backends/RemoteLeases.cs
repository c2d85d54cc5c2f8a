using System.Net;
using System.Net.Sockets;
using Kybernet.Net;

namespace Kybernet.Overlay.Backends;

/// <summary>
/// The checks every backend makes before using another node's lease: it is not our own, it runs our backend,
/// it is an IPv4 subnet inside the pod network, and no other lease claims the same subnet.
/// </summary>
public static class RemoteLeases
{
    public static IReadOnlyList<SubnetLease> Select(
        IPNetwork network, SubnetLease local, string backendType, IEnumerable<SubnetLease> others, List<string> problems)
    {
        var bySubnet = new Dictionary<IPNetwork, SubnetLease>();
        var duplicated = new HashSet<IPNetwork>();
        foreach (var lease in others)
        {
            if (lease.Subnet.Equals(local.Subnet))
                continue;
            if (lease.Subnet.BaseAddress.AddressFamily != AddressFamily.InterNetwork)
                problems.Add($"{Describe(lease)}: only IPv4 subnets are supported");
            else if (!Within(network, lease.Subnet))
                problems.Add($"{Describe(lease)}: outside the pod network {network}");
            else if (lease.BackendType != backendType)
                problems.Add($"{Describe(lease)}: runs backend \"{lease.BackendType}\", this node runs \"{backendType}\"");
            else if (!bySubnet.TryAdd(lease.Subnet, lease))
                duplicated.Add(lease.Subnet);
        }
        foreach (var subnet in duplicated.OrderBy(s => s.ToString(), StringComparer.Ordinal))
        {
            problems.Add($"lease {subnet}: claimed by several nodes, none is used");
            bySubnet.Remove(subnet);
        }
        return bySubnet.Values.OrderBy(l => l.Subnet.ToString(), StringComparer.Ordinal).ToList();
    }

    /// <summary>True when <paramref name="subnet"/> is an IPv4 network inside (or equal to) <paramref name="network"/>.</summary>
    public static bool Within(IPNetwork network, IPNetwork subnet) =>
        Ipv4Cidr.TryFrom(network, out var outer) && Ipv4Cidr.TryFrom(subnet, out var inner) && outer.Contains(inner);

    public static string Describe(SubnetLease lease) => $"lease {lease.Subnet} (node {lease.PublicIp})";
}
