using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Kybernet.Linux.Netlink;

namespace Kybernet.Cni.Protocol;

public sealed record CniInterface(string Name)
{
    public string? Mac { get; init; }
    /// <summary>The netns path for interfaces inside a container; null for host interfaces.</summary>
    public string? Sandbox { get; init; }
    public int? Mtu { get; init; }
}

/// <summary>An assigned address; <see cref="Interface"/> indexes the result's interfaces list.</summary>
public sealed record CniIp(InterfaceAddress Address)
{
    public IPAddress? Gateway { get; init; }
    public int? Interface { get; init; }
}

public sealed record CniRoute(IPNetwork Destination)
{
    public IPAddress? Gateway { get; init; }
}

public sealed record CniDns
{
    public IReadOnlyList<string> Nameservers { get; init; } = [];
    public string? Domain { get; init; }
    public IReadOnlyList<string> Search { get; init; } = [];
    public IReadOnlyList<string> Options { get; init; } = [];

    public bool IsEmpty => Nameservers.Count == 0 && Domain is null && Search.Count == 0 && Options.Count == 0;
}

/// <summary>
/// An ADD result (IPAM plugins leave out interfaces). It reads any supported version and writes the
/// version the config asked for: before 1.0.0 every IP carries "version": "4" or "6".
/// </summary>
public sealed record CniResult
{
    public IReadOnlyList<CniInterface> Interfaces { get; init; } = [];
    public IReadOnlyList<CniIp> Ips { get; init; } = [];
    public IReadOnlyList<CniRoute> Routes { get; init; } = [];
    public CniDns Dns { get; init; } = new();

    public JsonObject ToJson(string cniVersion)
    {
        var result = new JsonObject { ["cniVersion"] = cniVersion };
        if (Interfaces.Count > 0)
            result["interfaces"] = new JsonArray(Interfaces.Select(InterfaceJson).ToArray<JsonNode?>());
        if (Ips.Count > 0)
            result["ips"] = new JsonArray(Ips.Select(ip => IpJson(ip, CniVersion.IpsCarryVersion(cniVersion))).ToArray<JsonNode?>());
        if (Routes.Count > 0)
            result["routes"] = new JsonArray(Routes.Select(RouteJson).ToArray<JsonNode?>());
        result["dns"] = DnsJson(Dns);
        return result;
    }

    public static CniResult FromJson(JsonObject json, string path = "")
    {
        var interfaces = Items(json, "interfaces", path, (o, p) => new CniInterface(JsonConfig.RequiredString(o, "name", p))
        {
            Mac = JsonConfig.String(o, "mac", p),
            Sandbox = JsonConfig.String(o, "sandbox", p) is { Length: > 0 } s ? s : null,
            Mtu = JsonConfig.Int(o, "mtu", 0, 65535, p),
        });
        var ips = Items(json, "ips", path, (o, p) => new CniIp(ParseAddress(JsonConfig.RequiredString(o, "address", p), p + "address"))
        {
            Gateway = ParseIp(JsonConfig.String(o, "gateway", p), p + "gateway"),
            Interface = JsonConfig.Int(o, "interface", 0, int.MaxValue, p),
        });
        var routes = Items(json, "routes", path, (o, p) => new CniRoute(ParseNetwork(JsonConfig.RequiredString(o, "dst", p), p + "dst"))
        {
            Gateway = ParseIp(JsonConfig.String(o, "gw", p), p + "gw"),
        });
        var dns = JsonConfig.Object(json, "dns", path) is { } d ? ParseDns(d, path + "dns.") : new CniDns();
        return new CniResult { Interfaces = interfaces, Ips = ips, Routes = routes, Dns = dns };
    }

    public static InterfaceAddress ParseAddress(string text, string field)
    {
        try { return InterfaceAddress.Parse(text); }
        catch (FormatException) { throw CniException.InvalidConfig(field, $"\"{text}\" is not an address with prefix length (like 10.244.1.5/24)"); }
    }

    /// <summary>A network in CIDR form; host bits are cleared as the reference plugins do.</summary>
    public static IPNetwork ParseNetwork(string text, string field)
    {
        try { return InterfaceAddress.Parse(text).Network; }
        catch (FormatException) { throw CniException.InvalidConfig(field, $"\"{text}\" is not a network in CIDR form (like 10.244.0.0/16)"); }
    }

    public static IPAddress? ParseIp(string? text, string field)
    {
        if (text is null)
            return null;
        return IPAddress.TryParse(text, out var ip) ? ip : throw CniException.InvalidConfig(field, $"\"{text}\" is not an IP address");
    }

    private static List<T> Items<T>(JsonObject json, string field, string path, Func<JsonObject, string, T> parse)
    {
        var list = new List<T>();
        if (JsonConfig.Array(json, field, path) is not { } array)
            return list;
        for (int i = 0; i < array.Count; i++)
        {
            var itemPath = $"{path}{field}[{i}].";
            list.Add(parse(array[i] as JsonObject ?? throw CniException.InvalidConfig($"{path}{field}[{i}]", "must be an object"), itemPath));
        }
        return list;
    }

    private static CniDns ParseDns(JsonObject d, string path) => new()
    {
        Nameservers = Strings(d, "nameservers", path),
        Domain = JsonConfig.String(d, "domain", path) is { Length: > 0 } domain ? domain : null,
        Search = Strings(d, "search", path),
        Options = Strings(d, "options", path),
    };

    private static List<string> Strings(JsonObject o, string field, string path) =>
        JsonConfig.Array(o, field, path)?.Select((n, i) => n is JsonValue v && v.TryGetValue(out string? s)
            ? s : throw CniException.InvalidConfig($"{path}{field}[{i}]", "must be a string")).ToList() ?? [];

    private static JsonObject InterfaceJson(CniInterface i)
    {
        var o = new JsonObject { ["name"] = i.Name };
        if (i.Mac is not null) o["mac"] = i.Mac;
        if (i.Mtu is int mtu) o["mtu"] = mtu;
        if (i.Sandbox is not null) o["sandbox"] = i.Sandbox;
        return o;
    }

    private static JsonObject IpJson(CniIp ip, bool withVersion)
    {
        var o = new JsonObject();
        if (withVersion) o["version"] = ip.Address.Family == AddressFamily.InterNetworkV6 ? "6" : "4";
        if (ip.Interface is int index) o["interface"] = index;
        o["address"] = ip.Address.ToString();
        if (ip.Gateway is not null) o["gateway"] = ip.Gateway.ToString();
        return o;
    }

    private static JsonObject RouteJson(CniRoute r)
    {
        var o = new JsonObject { ["dst"] = r.Destination.ToString() };
        if (r.Gateway is not null) o["gw"] = r.Gateway.ToString();
        return o;
    }

    private static JsonObject DnsJson(CniDns dns)
    {
        var o = new JsonObject();
        if (dns.Nameservers.Count > 0) o["nameservers"] = new JsonArray(dns.Nameservers.Select(s => (JsonNode?)s).ToArray());
        if (dns.Domain is not null) o["domain"] = dns.Domain;
        if (dns.Search.Count > 0) o["search"] = new JsonArray(dns.Search.Select(s => (JsonNode?)s).ToArray());
        if (dns.Options.Count > 0) o["options"] = new JsonArray(dns.Options.Select(s => (JsonNode?)s).ToArray());
        return o;
    }
}
