namespace Kybernet.Kubelet.Pods.Dns;

/// <summary>Reads a host's resolv.conf as upstream's kubelet does: nameservers, the last search line, options.</summary>
public static class ResolvConf
{
    public static PodDnsSettings Parse(string text)
    {
        var servers = new List<string>();
        var searches = new List<string>();
        var options = new List<string>();
        foreach (string line in text.Split('\n'))
        {
            if (line.Length > 0 && (line[0] == '#' || line[0] == ';'))
                continue;
            string[] fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0)
                continue;
            switch (fields[0])
            {
                case "nameserver" when fields.Length >= 2:
                    servers.Add(fields[1]);
                    break;
                case "search":
                    // The last search line wins; "example." and "example" are one domain, and "." none.
                    searches = fields.Skip(1).Where(s => s != ".").Select(s => s.TrimEnd('.')).ToList();
                    break;
                case "options":
                    options = PodDnsPolicy.MergeOptions(options, fields.Skip(1).Select(ParseOption));
                    break;
            }
        }
        return new(servers, searches, options);
    }

    private static (string Name, string? Value) ParseOption(string option)
    {
        int colon = option.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? (option, null) : (option[..colon], option[(colon + 1)..]);
    }
}
