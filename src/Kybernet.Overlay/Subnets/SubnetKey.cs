using System.Net;
using Kybernet.Net;

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
        if (dash < 0 || !Ipv4Cidr.TryParse(string.Concat(name.AsSpan(0, dash), "/", name.AsSpan(dash + 1)), out var cidr) || !cidr.IsNetwork)
        {
            return false;
        }
        subnet = cidr.ToIPNetwork();
        return true;
    }
}
