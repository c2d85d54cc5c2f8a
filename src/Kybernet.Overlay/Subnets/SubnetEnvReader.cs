using System.Net;

namespace Kybernet.Overlay.Subnets;

/// <summary>Reads back the subnet a node had (FLANNEL_SUBNET of its subnet.env), to ask for it again after a restart.</summary>
public static class SubnetEnvReader
{
    /// <summary>The subnet in FLANNEL_SUBNET ("10.244.1.1/24" gives 10.244.1.0/24); null if the file or the key is missing or unreadable.</summary>
    public static IPNetwork? ReadPreviousSubnet(string path)
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
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.StartsWith("export ", StringComparison.Ordinal))
            {
                line = line["export ".Length..].TrimStart();
            }
            var eq = line.IndexOf('=');
            if (eq < 0 || line[..eq].Trim() != "FLANNEL_SUBNET")
            {
                continue;
            }
            var value = line[(eq + 1)..].Trim().Trim('"', '\'');
            var slash = value.IndexOf('/');
            if (slash > 0
                && IPAddress.TryParse(value.AsSpan(0, slash), out var address)
                && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
                && int.TryParse(value.AsSpan(slash + 1), System.Globalization.NumberStyles.None, null, out var prefix)
                && prefix <= 32)
            {
                return Ipv4.Network(Ipv4.ToUInt32(address), prefix);
            }
            return null;
        }
        return null;
    }
}
