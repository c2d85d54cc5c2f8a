using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Kybernet.Cni.Protocol;
using Kybernet.Net;

namespace Kybernet.Cni.Plugins.HostLocal;

/// <summary>
/// The "ipam" section of a host-local network, validated and with the reference's defaults filled
/// in: gateway = subnet + 1, rangeStart = subnet + 1 (the gateway is skipped when allocating),
/// rangeEnd = the last address (IPv4: before broadcast). The legacy single-range form
/// (subnet/rangeStart/rangeEnd/gateway directly in ipam) becomes range set 0. Every error names the
/// field by its path, e.g. "ipam.ranges[0][1].subnet".
/// </summary>
public sealed record HostLocalConfig
{
    public const string DefaultDataDir = "/var/lib/cni/networks";

    /// <summary>The network's name: its reservations live in DataDir/Name.</summary>
    public required string Name { get; init; }
    public required string DataDir { get; init; }
    public required IReadOnlyList<RangeSet> RangeSets { get; init; }
    public IReadOnlyList<CniRoute> Routes { get; init; } = [];
    public string? ResolvConf { get; init; }
    /// <summary>Addresses the runtime asked for (CNI_ARGS "IP="), each to be taken from the range set holding it.</summary>
    public IReadOnlyList<IPAddress> RequestedIps { get; init; } = [];

    public string NetworkDirectory => Path.Combine(DataDir, Name);

    public static HostLocalConfig Parse(CniNetworkConfig config, IReadOnlyDictionary<string, string>? args = null)
    {
        var ipam = config.Ipam ?? throw CniException.InvalidConfig("ipam", "is required");
        const string path = "ipam.";

        var sets = new List<(RangeSet Set, string Path)>();
        if (ipam.ContainsKey("subnet"))
            sets.Add((new RangeSet([ParseRange(ipam, path)]), "ipam"));
        if (JsonConfig.Array(ipam, "ranges", path) is { } ranges)
        {
            for (int i = 0; i < ranges.Count; i++)
                sets.Add((ParseRangeSet(ranges[i], $"{path}ranges[{i}]"), $"{path}ranges[{i}]"));
        }
        if (sets.Count == 0)
            throw CniException.InvalidConfig("ipam.ranges", "is required (a list of range sets, or the legacy ipam.subnet)");

        for (int i = 0; i < sets.Count; i++)
            for (int j = i + 1; j < sets.Count; j++)
                if (sets[i].Set.Overlaps(sets[j].Set))
                    throw CniException.InvalidConfig(sets[j].Path, $"({sets[j].Set}) overlaps {sets[i].Path} ({sets[i].Set})");

        var dataDir = JsonConfig.String(ipam, "dataDir", path) is { Length: > 0 } d ? d : DefaultDataDir;
        return new HostLocalConfig
        {
            Name = config.Name,
            DataDir = dataDir,
            RangeSets = sets.Select(s => s.Set).ToList(),
            Routes = ParseRoutes(ipam, path),
            ResolvConf = JsonConfig.String(ipam, "resolvConf", path) is { Length: > 0 } r ? r : null,
            RequestedIps = ParseRequestedIps(args),
        };
    }

    private static RangeSet ParseRangeSet(JsonNode? node, string path)
    {
        if (node is not JsonArray array)
            throw CniException.InvalidConfig(path, "must be a list of ranges");
        if (array.Count == 0)
            throw CniException.InvalidConfig(path, "is an empty range set");
        var ranges = new List<AddressRange>();
        for (int i = 0; i < array.Count; i++)
        {
            var rangePath = $"{path}[{i}]";
            var range = ParseRange(array[i] as JsonObject ?? throw CniException.InvalidConfig(rangePath, "must be an object"), rangePath + ".");
            if (ranges.Count > 0 && range.Family != ranges[0].Family)
                throw CniException.InvalidConfig(rangePath + ".subnet",
                    $"is {IpNumbers.FamilyName(range.Family)} but {path}[0] is {IpNumbers.FamilyName(ranges[0].Family)} (a range set has one address family)");
            for (int j = 0; j < ranges.Count; j++)
                if (ranges[j].Overlaps(range))
                    throw CniException.InvalidConfig(rangePath, $"({range}) overlaps {path}[{j}] ({ranges[j]})");
            ranges.Add(range);
        }
        return new RangeSet(ranges);
    }

    private static AddressRange ParseRange(JsonObject o, string path)
    {
        var subnetText = JsonConfig.RequiredString(o, "subnet", path);
        var address = CniResult.ParseAddress(subnetText, path + "subnet");
        var network = address.Network;
        int bits = address.Family == AddressFamily.InterNetwork ? 32 : 128;
        if (address.PrefixLength > bits - 2)
            throw CniException.InvalidConfig(path + "subnet", $"\"{subnetText}\" is too small to allocate from (it needs at least 2 host bits)");
        if (!network.BaseAddress.Equals(address.Address))
            throw CniException.InvalidConfig(path + "subnet", $"\"{subnetText}\" has host bits set: the network is {network}");

        var first = IpNumbers.Next(network.BaseAddress);
        var gateway = InFamily(CniResult.ParseIp(JsonConfig.String(o, "gateway", path), path + "gateway"), network, path + "gateway") ?? first;
        var start = InSubnet(CniResult.ParseIp(JsonConfig.String(o, "rangeStart", path), path + "rangeStart"), network, path + "rangeStart") ?? first;
        var last = IpNumbers.Last(network);
        if (bits == 32)
            last = IpNumbers.FromNumber(IpNumbers.ToNumber(last) - 1, AddressFamily.InterNetwork);
        var end = InSubnet(CniResult.ParseIp(JsonConfig.String(o, "rangeEnd", path), path + "rangeEnd"), network, path + "rangeEnd") ?? last;
        if (IpNumbers.Compare(end, start) < 0)
            throw CniException.InvalidConfig(path + "rangeEnd", $"\"{end}\" comes before rangeStart {start}");
        return new AddressRange(network, start, end, gateway);
    }

    private static IPAddress? InFamily(IPAddress? ip, IPNetwork network, string field)
    {
        if (ip is null)
            return null;
        ip = IpNumbers.Canonical(ip);
        if (ip.AddressFamily != network.BaseAddress.AddressFamily)
            throw CniException.InvalidConfig(field, $"\"{ip}\" is not in the address family of subnet {network}");
        return ip;
    }

    private static IPAddress? InSubnet(IPAddress? ip, IPNetwork network, string field)
    {
        if (InFamily(ip, network, field) is not { } address)
            return null;
        if (!network.Contains(address))
            throw CniException.InvalidConfig(field, $"\"{address}\" is not in subnet {network}");
        return address;
    }

    private static List<CniRoute> ParseRoutes(JsonObject ipam, string path)
    {
        var routes = new List<CniRoute>();
        if (JsonConfig.Array(ipam, "routes", path) is not { } array)
            return routes;
        for (int i = 0; i < array.Count; i++)
        {
            var routePath = $"{path}routes[{i}]";
            var o = array[i] as JsonObject ?? throw CniException.InvalidConfig(routePath, "must be an object");
            routes.Add(new CniRoute(CniResult.ParseNetwork(JsonConfig.RequiredString(o, "dst", routePath + "."), routePath + ".dst"))
            {
                Gateway = CniResult.ParseIp(JsonConfig.String(o, "gw", routePath + "."), routePath + ".gw"),
            });
        }
        return routes;
    }

    /// <summary>CNI_ARGS "IP=10.244.1.7" (a prefix length, if given, is ignored, as the reference does).</summary>
    private static List<IPAddress> ParseRequestedIps(IReadOnlyDictionary<string, string>? args)
    {
        if (args is null || !args.TryGetValue("IP", out var text) || text.Length == 0)
            return [];
        var ips = new List<IPAddress>();
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var slash = item.IndexOf('/');
            if (!IPAddress.TryParse(slash < 0 ? item : item[..slash], out var ip))
                throw CniException.InvalidEnvironment("CNI_ARGS", $"has IP=\"{item}\", which is not an IP address");
            ips.Add(IpNumbers.Canonical(ip));
        }
        return ips;
    }
}
