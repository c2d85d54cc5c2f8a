using Kybernet.Cni.Protocol;

namespace Kybernet.Cni.Plugins.HostLocal;

/// <summary>Reads a resolv.conf-style file (the ipam "resolvConf" option) into the result's DNS section.</summary>
internal static class ResolvConf
{
    public static CniDns Read(string path)
    {
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (IOException e) { throw CniException.InvalidConfig("ipam.resolvConf", $"\"{path}\" cannot be read: {e.Message}"); }

        var nameservers = new List<string>();
        var search = new List<string>();
        var options = new List<string>();
        string? domain = null;
        foreach (var line in lines)
        {
            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2 || fields[0].StartsWith('#') || fields[0].StartsWith(';'))
                continue;
            switch (fields[0])
            {
                case "nameserver": nameservers.Add(fields[1]); break;
                case "domain": domain = fields[1]; break;
                case "search": search.AddRange(fields[1..]); break;
                case "options": options.AddRange(fields[1..]); break;
            }
        }
        return new CniDns { Nameservers = nameservers, Domain = domain, Search = search, Options = options };
    }
}
