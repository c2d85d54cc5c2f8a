using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Kybernet.Cni.Protocol;

namespace Kybernet.Cni.Plugins.Portmap;

/// <summary>
/// kybernet-portmap's part of the config: "snat" (hairpin masquerade, default true) and the mappings
/// the runtime passed in runtimeConfig.portMappings (capability "portMappings"). Only IPv4 is mapped:
/// a mapping whose hostIP is an IPv6 address is counted in <see cref="SkippedIpv6"/> and left out.
/// </summary>
public sealed record PortmapConfig(bool Snat, IReadOnlyList<PortMapping> Mappings)
{
    public const string MappingsPath = "runtimeConfig.portMappings";

    public int SkippedIpv6 { get; init; }

    public static PortmapConfig Parse(CniNetworkConfig config)
    {
        var snat = JsonConfig.Bool(config.Json, "snat", fallback: true);
        var mappings = new List<PortMapping>();
        var paths = new List<string>();
        var skipped = 0;
        var list = config.RuntimeConfig is { } runtime ? JsonConfig.Array(runtime, "portMappings", "runtimeConfig.") : null;
        for (var i = 0; i < (list?.Count ?? 0); i++)
        {
            var path = $"{MappingsPath}[{i}]";
            var item = list![i] as JsonObject ?? throw CniException.InvalidConfig(path, "must be an object");
            var mapping = ParseMapping(item, path + ".");
            if (mapping is null)
            {
                skipped++;
                continue;
            }
            var twin = mappings.FindIndex(m => (m.HostPort, m.Protocol, m.HostIp) == (mapping.HostPort, mapping.Protocol, mapping.HostIp));
            if (twin >= 0)
                throw CniException.InvalidConfig(path, $"maps {mapping.HostSide} a second time (already mapped by {paths[twin]})");
            mappings.Add(mapping);
            paths.Add(path);
        }
        return new PortmapConfig(snat, mappings) { SkippedIpv6 = skipped };
    }

    /// <summary>The mapping, or null when its hostIP is IPv6 (not mapped by this IPv4 plugin).</summary>
    private static PortMapping? ParseMapping(JsonObject item, string path)
    {
        int Port(string field) => JsonConfig.Int(item, field, 1, 65535, path)
            ?? throw CniException.InvalidConfig(path + field, "is required");

        var hostPort = Port("hostPort");
        var containerPort = Port("containerPort");
        var protocolText = JsonConfig.String(item, "protocol", path) is { Length: > 0 } p ? p : "tcp";
        var protocol = PortProtocolNames.Parse(protocolText)
            ?? throw CniException.InvalidConfig(path + "protocol", $"\"{protocolText}\" is not a protocol kybernet-portmap maps (tcp, udp or sctp)");

        IPAddress? hostIp = null;
        if (JsonConfig.String(item, "hostIP", path) is { Length: > 0 } hostIpText)
        {
            // TryParse alone would read "10" as 0.0.0.10; an address has dots or colons.
            if (hostIpText.IndexOfAny(['.', ':']) < 0 || !IPAddress.TryParse(hostIpText, out var parsed))
                throw CniException.InvalidConfig(path + "hostIP", $"\"{hostIpText}\" is not an IP address");
            if (parsed.AddressFamily == AddressFamily.InterNetworkV6)
                return null;
            hostIp = parsed.Equals(IPAddress.Any) ? null : parsed;
        }
        return new PortMapping(hostPort, containerPort, protocol) { HostIp = hostIp };
    }

    /// <summary>
    /// The container's IPv4 address from the previous plugin's result: the first IPv4 address on an
    /// interface inside the sandbox (or with no interface named). IPv6 addresses are not mapped.
    /// </summary>
    public static IPAddress? ContainerIpv4(CniResult previous)
    {
        foreach (var ip in previous.Ips)
        {
            if (ip.Address.Family != AddressFamily.InterNetwork)
                continue;
            if (ip.Interface is int index && (index >= previous.Interfaces.Count || previous.Interfaces[index].Sandbox is null))
                continue;
            return ip.Address.Address;
        }
        return null;
    }
}
