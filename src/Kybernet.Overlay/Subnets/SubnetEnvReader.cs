using System.Globalization;
using System.Net;
using Kybernet.Net;

namespace Kybernet.Overlay.Subnets;

/// <summary>Reads a subnet.env back: the subnet a node had (to ask for it again after a restart), or the whole file (for a CNI config).</summary>
public static class SubnetEnvReader
{
    /// <summary>The subnet in FLANNEL_SUBNET ("10.244.1.1/24" gives 10.244.1.0/24); null if the file or the key is missing or unreadable.</summary>
    public static IPNetwork? ReadPreviousSubnet(string path) =>
        ReadValues(path) is { } values && values.TryGetValue("FLANNEL_SUBNET", out var subnet) ? ParseGatewayCidr(subnet) : null;

    /// <summary>All four keys; null if the file is missing or any key is missing or malformed.</summary>
    public static SubnetEnv? Read(string path)
    {
        if (ReadValues(path) is not { } values
            || !values.TryGetValue("FLANNEL_NETWORK", out var networkText) || !IPNetwork.TryParse(networkText, out var network)
            || !values.TryGetValue("FLANNEL_SUBNET", out var subnetText) || ParseGatewayCidr(subnetText) is not { } subnet
            || !values.TryGetValue("FLANNEL_MTU", out var mtuText) || !int.TryParse(mtuText, NumberStyles.None, CultureInfo.InvariantCulture, out var mtu)
            || !values.TryGetValue("FLANNEL_IPMASQ", out var masqText) || !bool.TryParse(masqText, out var ipMasq))
            return null;
        return new SubnetEnv(network, subnet, mtu, ipMasq);
    }

    /// <summary>KEY=VALUE lines (an "export " prefix and quotes allowed); null if the file does not exist.</summary>
    private static Dictionary<string, string>? ReadValues(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.StartsWith("export ", StringComparison.Ordinal))
                line = line["export ".Length..].TrimStart();
            var eq = line.IndexOf('=');
            if (eq > 0)
                values.TryAdd(line[..eq].Trim(), line[(eq + 1)..].Trim().Trim('"', '\''));
        }
        return values;
    }

    /// <summary>"10.244.1.1/24" (an address in the subnet, with its length) to 10.244.1.0/24.</summary>
    private static IPNetwork? ParseGatewayCidr(string value) =>
        Ipv4Cidr.TryParse(value, out var gateway) ? gateway.Network.ToIPNetwork() : null;
}
