using System.Net;
using System.Net.Sockets;

namespace Kybernet.Overlay.Subnets;

/// <summary>flannel's key names for subnets: 10.244.1.0/24 is "10.244.1.0-24".</summary>
public static class SubnetKey
{
    public static string Format(IPNetwork subnet) => $"{subnet.BaseAddress}-{subnet.PrefixLength}";

    /// <summary>"10.244.1.0-24" to 10.244.1.0/24; false for anything else (including unaligned bases).</summary>
    public static bool TryParse(string name, out IPNetwork subnet)
    {
        subnet = default;
        var dash = name.LastIndexOf('-');
        if (dash < 0
            || !IPAddress.TryParse(name.AsSpan(0, dash), out var address)
            || address.AddressFamily != AddressFamily.InterNetwork
            || !int.TryParse(name.AsSpan(dash + 1), System.Globalization.NumberStyles.None, null, out var prefix)
            || prefix > 32)
        {
            return false;
        }
        var value = Ipv4.ToUInt32(address);
        if ((value & Ipv4.Mask(prefix)) != value)
        {
            return false;
        }
        subnet = new IPNetwork(address, prefix);
        return true;
    }
}
