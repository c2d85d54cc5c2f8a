namespace Kybernet.Agnhost;

/// <summary>
/// agnhost dns-suffix, dns-server-list and etc-hosts: what the container's resolver was given (the kubelet writes
/// both files), printed for tests to compare. Suffixes and servers come out comma-separated on one line.
/// </summary>
public static class DnsCommands
{
    public const string ResolvConf = "/etc/resolv.conf";
    public const string EtcHosts = "/etc/hosts";

    /// <summary>The words after the first "search" line's keyword.</summary>
    public static int Suffixes(string path = ResolvConf)
    {
        foreach (var fields in Lines(path))
            if (fields[0] == "search")
                return Print(string.Join(',', fields.Skip(1)));
        return Fail($"Could not find DNS search list in {path}");
    }

    /// <summary>
    /// Every nameserver, in file order. Upstream prints only the first "nameserver" line's address; a resolv.conf
    /// holds one address per line, so that shows only the first server where this shows them all.
    /// </summary>
    public static int Servers(string path = ResolvConf)
    {
        var servers = Lines(path).Where(f => f[0] == "nameserver").SelectMany(f => f.Skip(1)).ToList();
        return servers.Count > 0 ? Print(string.Join(',', servers)) : Fail($"Could not find DNS server list in {path}");
    }

    public static int Hosts(string path = EtcHosts) => Print(File.ReadAllText(path));

    private static IEnumerable<string[]> Lines(string path) =>
        File.ReadAllLines(path)
            .Select(line => line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length > 0);

    private static int Print(string text)
    {
        Console.Out.WriteLine(text);
        return 0;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine(message);
        return 2; // what a Go panic exits with
    }
}
