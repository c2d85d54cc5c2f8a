using System.Net;
using Kybernet.Net;

namespace Kybernet.Overlay.Subnets;

/// <summary>The subnets a <see cref="NetworkConfig"/> hands out: every /SubnetLen from SubnetMin to SubnetMax, in address order.</summary>
public static class SubnetRange
{
    /// <summary>The candidate subnets in ascending order (SubnetMin and SubnetMax must be set, as the parser sets them).</summary>
    public static IEnumerable<IPNetwork> Subnets(NetworkConfig config)
    {
        var (network, first, last) = Bounds(config);
        for (var index = first; index <= last; index++)
        {
            yield return network.Subnet(config.SubnetLen, index).ToIPNetwork();
        }
    }

    /// <summary>How many subnets the config hands out.</summary>
    public static long Count(NetworkConfig config)
    {
        var (_, first, last) = Bounds(config);
        return first > last ? 0 : (long)(last - first) + 1;
    }

    /// <summary>True if <paramref name="subnet"/> is one this config hands out: right length, aligned, within [SubnetMin, SubnetMax].</summary>
    public static bool Contains(NetworkConfig config, IPNetwork subnet)
    {
        if (subnet.PrefixLength != config.SubnetLen || !Ipv4Cidr.TryFrom(subnet, out var candidate))
        {
            return false;
        }
        var (network, first, last) = Bounds(config);
        if (!candidate.IsNetwork || !network.Contains(candidate))
        {
            return false;
        }
        var index = network.SubnetIndexOf(candidate.Address, config.SubnetLen);
        return index >= first && index <= last;
    }

    /// <summary>The network and the indexes of SubnetMin's and SubnetMax's subnets among its /SubnetLen subnets.</summary>
    private static (Ipv4Cidr Network, ulong First, ulong Last) Bounds(NetworkConfig config)
    {
        var min = config.SubnetMin ?? throw new ArgumentException("the config has no SubnetMin (parse it with NetworkConfigParser)", nameof(config));
        var max = config.SubnetMax ?? throw new ArgumentException("the config has no SubnetMax (parse it with NetworkConfigParser)", nameof(config));
        var network = Ipv4Cidr.From(config.Network);
        return (network, network.SubnetIndexOf(Ipv4Address.From(min), config.SubnetLen), network.SubnetIndexOf(Ipv4Address.From(max), config.SubnetLen));
    }
}
