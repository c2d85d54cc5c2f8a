using System.Net;

namespace Kybernet.Overlay.Subnets;

/// <summary>The subnets a <see cref="NetworkConfig"/> hands out: every /SubnetLen from SubnetMin to SubnetMax, in address order.</summary>
public static class SubnetRange
{
    /// <summary>The candidate subnets in ascending order (SubnetMin and SubnetMax must be set, as the parser sets them).</summary>
    public static IEnumerable<IPNetwork> Subnets(NetworkConfig config)
    {
        var (min, max) = Bounds(config);
        var step = Ipv4.Size(config.SubnetLen);
        for (ulong address = min; address <= max; address += step)
        {
            yield return Ipv4.Network((uint)address, config.SubnetLen);
        }
    }

    /// <summary>How many subnets the config hands out.</summary>
    public static long Count(NetworkConfig config)
    {
        var (min, max) = Bounds(config);
        return min > max ? 0 : (long)((max - min) / Ipv4.Size(config.SubnetLen)) + 1;
    }

    /// <summary>True if <paramref name="subnet"/> is one this config hands out: right length, aligned, within [SubnetMin, SubnetMax].</summary>
    public static bool Contains(NetworkConfig config, IPNetwork subnet)
    {
        if (subnet.PrefixLength != config.SubnetLen || subnet.BaseAddress.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            return false;
        }
        var (min, max) = Bounds(config);
        var address = Ipv4.ToUInt32(subnet.BaseAddress);
        return (address & Ipv4.Mask(config.SubnetLen)) == address && address >= min && address <= max;
    }

    private static (ulong Min, ulong Max) Bounds(NetworkConfig config)
    {
        var min = config.SubnetMin ?? throw new ArgumentException("the config has no SubnetMin (parse it with NetworkConfigParser)", nameof(config));
        var max = config.SubnetMax ?? throw new ArgumentException("the config has no SubnetMax (parse it with NetworkConfigParser)", nameof(config));
        return (Ipv4.ToUInt32(min), Ipv4.ToUInt32(max));
    }
}
