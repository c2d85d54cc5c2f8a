using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Kybernet.ApiServer.Http;
using Kybernet.Store;

namespace Kybernet.ApiServer.Admission;

/// <summary>
/// Cluster IPs and node ports for Services. Each one handed out is a key of its own in the store
/// (/registry/core/serviceips/IP, /registry/core/servicenodeports/PORT, holding "namespace/name"),
/// created with compare-and-swap, so two servers or two requests can never hand out the same one.
/// Dynamic addresses start 16 into the service network, leaving the first ones for fixed use
/// (the kubernetes service's .1, cluster DNS's .10). The garbage collector frees keys whose
/// service is gone.
/// </summary>
public sealed class ServiceAllocator(IKeyValueStore store)
{
    public const string IpPrefix = "/registry/core/serviceips/";
    public const string NodePortPrefix = "/registry/core/servicenodeports/";
    public static readonly IPNetwork ServiceNetwork = IPNetwork.Parse("10.96.0.0/12");
    private const int FirstDynamicOffset = 16;
    private const int NodePortLow = 30000, NodePortHigh = 32767;

    /// <summary>Fills in (or reserves what the client asked for) the cluster IP and node ports of a new service.</summary>
    public async Task AllocateAsync(JsonObject service, CancellationToken ct)
    {
        var spec = service["spec"] as JsonObject ?? throw ApiException.BadRequest("a Service needs a spec");
        var owner = $"{ObjectMeta.Namespace(service)}/{ObjectMeta.Name(service)}";
        var type = ObjectMeta.Str(spec["type"]) ?? "ClusterIP";
        if (type == "ExternalName")
            return;

        var requested = ObjectMeta.Str(spec["clusterIP"]);
        if (requested != "None")
        {
            var ip = string.IsNullOrEmpty(requested) ? await NextIpAsync(owner, ct) : await ReserveIpAsync(requested, owner, service, ct);
            spec["clusterIP"] = ip;
            spec["clusterIPs"] = new JsonArray(ip);
        }
        spec["ipFamilies"] ??= new JsonArray("IPv4");
        spec["ipFamilyPolicy"] ??= "SingleStack";
        spec["internalTrafficPolicy"] ??= "Cluster";
        if (type is "NodePort" or "LoadBalancer")
        {
            spec["externalTrafficPolicy"] ??= "Cluster";
            await AllocateNodePortsAsync(service, owner, ct);
        }
    }

    /// <summary>Node ports for ports that have none (a service updated to NodePort or LoadBalancer, say).</summary>
    public async Task AllocateNodePortsAsync(JsonObject service, string owner, CancellationToken ct)
    {
        if (service["spec"]?["ports"] is not JsonArray ports)
            return;
        foreach (var port in ports.OfType<JsonObject>())
        {
            if (port["nodePort"] is JsonValue v && v.TryGetValue(out int wanted))
            {
                var holder = await HolderAsync(NodePortPrefix + wanted, ct);
                if (holder == owner)
                    continue;
                if (holder is not null || await store.CreateAsync(NodePortPrefix + wanted, Encoding.UTF8.GetBytes(owner), cancellationToken: ct) is null)
                    throw Invalid(service, "spec.ports[].nodePort", wanted.ToString(), "provided port is already allocated");
                continue;
            }
            port["nodePort"] = await NextNodePortAsync(owner, ct);
        }
    }

    private async Task<string> ReserveIpAsync(string requested, string owner, JsonObject service, CancellationToken ct)
    {
        if (!IPAddress.TryParse(requested, out var ip) || !ServiceNetwork.Contains(ip))
            throw Invalid(service, "spec.clusterIPs", requested, $"provided IP is not in the valid range. The range of valid IPs is {ServiceNetwork}");
        if (await store.CreateAsync(IpPrefix + ip, Encoding.UTF8.GetBytes(owner), cancellationToken: ct) is null
            && await HolderAsync(IpPrefix + ip, ct) != owner)
            throw Invalid(service, "spec.clusterIPs", requested, "provided IP is already allocated");
        return ip.ToString();
    }

    private async Task<string> NextIpAsync(string owner, CancellationToken ct)
    {
        var taken = await TakenAsync(IpPrefix, ct);
        var network = ServiceNetwork.BaseAddress.GetAddressBytes();
        uint baseAddress = (uint)network[0] << 24 | (uint)network[1] << 16 | (uint)network[2] << 8 | network[3];
        uint size = 1u << (32 - ServiceNetwork.PrefixLength);
        for (uint offset = FirstDynamicOffset; offset < size - 1; offset++)
        {
            var candidate = new IPAddress(BitConverter.IsLittleEndian ? (uint)IPAddress.HostToNetworkOrder((int)(baseAddress + offset)) : baseAddress + offset).ToString();
            if (taken.Contains(candidate))
                continue;
            if (await store.CreateAsync(IpPrefix + candidate, Encoding.UTF8.GetBytes(owner), cancellationToken: ct) is not null)
                return candidate;
        }
        throw new ApiException(500, "InternalError", $"Internal error occurred: failed to allocate a serviceIP: range {ServiceNetwork} is full");
    }

    private async Task<int> NextNodePortAsync(string owner, CancellationToken ct)
    {
        var taken = await TakenAsync(NodePortPrefix, ct);
        for (int port = NodePortLow; port <= NodePortHigh; port++)
            if (!taken.Contains(port.ToString()) && await store.CreateAsync(NodePortPrefix + port, Encoding.UTF8.GetBytes(owner), cancellationToken: ct) is not null)
                return port;
        throw new ApiException(500, "InternalError", $"Internal error occurred: failed to allocate a nodePort: range {NodePortLow}-{NodePortHigh} is full");
    }

    /// <summary>Frees every reservation whose service is gone or no longer uses it.</summary>
    public async Task ReleaseUnusedAsync(IReadOnlyCollection<JsonObject> services, CancellationToken ct)
    {
        var inUse = new HashSet<string>();
        foreach (var s in services)
        {
            var owner = $"{ObjectMeta.Namespace(s)}/{ObjectMeta.Name(s)}";
            if (ObjectMeta.Str(s["spec"]?["clusterIP"]) is { } ip && ip != "None")
                inUse.Add($"{IpPrefix}{ip}={owner}");
            foreach (var p in (s["spec"]?["ports"] as JsonArray ?? []).OfType<JsonObject>())
                if (p["nodePort"] is JsonValue v && v.TryGetValue(out int np))
                    inUse.Add($"{NodePortPrefix}{np}={owner}");
        }
        foreach (var prefix in new[] { IpPrefix, NodePortPrefix })
        {
            var reservations = await store.RangeAsync(KeyRange.Prefix(prefix), cancellationToken: ct);
            foreach (var kv in reservations.Kvs)
                if (!inUse.Contains($"{kv.Key}={Encoding.UTF8.GetString(kv.Value.Span)}"))
                    await store.DeleteAsync(kv.Key, kv.ModRevision, ct);
        }
    }

    private async Task<HashSet<string>> TakenAsync(string prefix, CancellationToken ct) =>
        (await store.RangeAsync(KeyRange.Prefix(prefix), cancellationToken: ct)).Kvs.Select(kv => kv.Key[prefix.Length..]).ToHashSet();

    private async Task<string?> HolderAsync(string key, CancellationToken ct) =>
        await store.GetAsync(key, cancellationToken: ct) is { } kv ? Encoding.UTF8.GetString(kv.Value.Span) : null;

    private static ApiException Invalid(JsonObject service, string field, string value, string message) =>
        ApiException.Invalid("Service", ObjectMeta.Name(service) ?? "", "", [new StatusCause("FieldValueInvalid", $"Invalid value: \"{value}\": {message}", field)]);
}
