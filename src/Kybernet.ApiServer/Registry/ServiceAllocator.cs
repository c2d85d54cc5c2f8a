using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.Net;
using Kybernet.Store;

namespace Kybernet.ApiServer.Registry;

/// <summary>
/// Cluster IPs and node ports for Services. Each one a service holds is a key of its own
/// (/registry/core/serviceips/IP, /registry/core/servicenodeports/PORT, holding "namespace/name"),
/// created in the same transaction as the service write that first uses it (see
/// ObjectStore's claims), so a service and its addresses exist together or not at all and no two
/// services can ever hold one. Dynamic addresses and ports are chosen at random among the free ones
/// (as upstream does; concurrent creates rarely propose the same), addresses from 16 into the service
/// network, leaving the first ones for fixed use (the kubernetes service's .1, cluster DNS's .10). The
/// <see cref="ServiceClaimRepair"/> loop frees keys no service holds, comparing both at one revision.
/// </summary>
public sealed class ServiceAllocator(IKeyValueStore store)
{
    public const string IpPrefix = "/registry/core/serviceips/";
    public const string NodePortPrefix = "/registry/core/servicenodeports/";
    public static readonly IPNetwork ServiceNetwork = IPNetwork.Parse("10.96.0.0/12");
    private const int FirstDynamicOffset = 16;
    private const int NodePortLow = 30000, NodePortHigh = 32767;

    /// <summary>
    /// Fills in a new service's cluster IP and node ports (or checks the ones it asks for) and
    /// returns the keys to claim with it. Choices are only proposals until the write succeeds.
    /// </summary>
    public async Task<IReadOnlyList<string>> PlanCreateAsync(JsonObject service, CancellationToken ct)
    {
        var spec = service["spec"] as JsonObject ?? throw ApiException.BadRequest("a Service needs a spec");
        var type = ObjectMeta.Str(spec["type"]) ?? "ClusterIP";
        if (type == "ExternalName")
            return [];
        var claims = new List<string>();
        var requested = ObjectMeta.Str(spec["clusterIP"]);
        if (requested != "None")
        {
            var ip = string.IsNullOrEmpty(requested) ? await FreeIpAsync(ct) : await CheckRequestedIpAsync(requested, service, ct);
            spec["clusterIP"] = ip;
            spec["clusterIPs"] = new JsonArray(ip);
            claims.Add(IpPrefix + ip);
        }
        spec["ipFamilies"] ??= new JsonArray("IPv4");
        spec["ipFamilyPolicy"] ??= "SingleStack";
        spec["internalTrafficPolicy"] ??= "Cluster";
        if (type is "NodePort" or "LoadBalancer")
        {
            spec["externalTrafficPolicy"] ??= "Cluster";
            claims.AddRange(await PlanNodePortsAsync(service, new HashSet<int>(), ct));
        }
        return claims;
    }

    /// <summary>Node ports for the service's ports that have none, and checks of the ones asked for; <paramref name="held"/> are the service's own already.</summary>
    public async Task<IReadOnlyList<string>> PlanNodePortsAsync(JsonObject service, IReadOnlySet<int> held, CancellationToken ct)
    {
        if (service["spec"]?["ports"] is not JsonArray ports)
            return [];
        var taken = await TakenAsync(NodePortPrefix, ct);
        var claims = new List<string>();
        foreach (var port in ports.OfType<JsonObject>())
        {
            if (port["nodePort"] is JsonValue v && v.TryGetValue(out int wanted))
            {
                if (held.Contains(wanted))
                    continue;
                if (taken.Contains(wanted.ToString()) || claims.Contains(NodePortPrefix + wanted))
                    throw Invalid(service, "spec.ports[].nodePort", wanted.ToString(), "provided port is already allocated");
                claims.Add(NodePortPrefix + wanted);
                continue;
            }
            var free = Enumerable.Range(NodePortLow, NodePortHigh - NodePortLow + 1)
                .Where(p => !taken.Contains(p.ToString()) && !claims.Contains(NodePortPrefix + p)).ToList();
            if (free.Count == 0)
                throw new ApiException(500, "InternalError", $"Internal error occurred: failed to allocate a nodePort: range {NodePortLow}-{NodePortHigh} is full");
            int chosen = free[Random.Shared.Next(free.Count)];
            port["nodePort"] = chosen;
            claims.Add(NodePortPrefix + chosen);
        }
        return claims;
    }

    private async Task<string> CheckRequestedIpAsync(string requested, JsonObject service, CancellationToken ct)
    {
        if (!IPAddress.TryParse(requested, out var ip) || !ServiceNetwork.Contains(ip))
            throw Invalid(service, "spec.clusterIPs", requested, $"provided IP is not in the valid range. The range of valid IPs is {ServiceNetwork}");
        if (await store.GetAsync(IpPrefix + ip, cancellationToken: ct) is not null)
            throw Invalid(service, "spec.clusterIPs", requested, "provided IP is already allocated");
        return ip.ToString();
    }

    private async Task<string> FreeIpAsync(CancellationToken ct)
    {
        var taken = await TakenAsync(IpPrefix, ct);
        var network = Ipv4Cidr.From(ServiceNetwork);
        ulong span = network.AddressCount - 1 - FirstDynamicOffset;
        if ((ulong)taken.Count < span)
        {
            // Random, as upstream: concurrent creates then rarely propose the same address.
            for (ulong start = (ulong)Random.Shared.NextInt64((long)span), i = 0; i < span; i++)
            {
                var candidate = network.AddressAt(FirstDynamicOffset + (start + i) % span).ToString();
                if (!taken.Contains(candidate))
                    return candidate;
            }
        }
        throw new ApiException(500, "InternalError", $"Internal error occurred: failed to allocate a serviceIP: range {ServiceNetwork} is full");
    }

    /// <summary>
    /// Frees every reservation that, at <paramref name="revision"/>, no service holds (the services
    /// were listed at that same revision, so a service and its claims are seen together). Each delete
    /// is conditional on the key being unchanged since. Returns the keys freed, with who held them.
    /// </summary>
    public async Task<IReadOnlyList<(string Key, string Holder)>> ReleaseUnusedAsync(IReadOnlyCollection<JsonObject> services, long revision, CancellationToken ct)
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
        var released = new List<(string, string)>();
        foreach (var prefix in new[] { IpPrefix, NodePortPrefix })
        {
            var reservations = await store.RangeAsync(KeyRange.Prefix(prefix), revision, cancellationToken: ct);
            foreach (var kv in reservations.Kvs)
            {
                var holder = Encoding.UTF8.GetString(kv.Value.Span);
                // Conditional on the key's revision: a key claimed again since (deleted, then re-created) stays.
                if (!inUse.Contains($"{kv.Key}={holder}") && await store.DeleteAsync(kv.Key, kv.ModRevision, ct) is not null)
                    released.Add((kv.Key, holder));
            }
        }
        return released;
    }

    private async Task<HashSet<string>> TakenAsync(string prefix, CancellationToken ct) =>
        (await store.RangeAsync(KeyRange.Prefix(prefix), cancellationToken: ct)).Kvs.Select(kv => kv.Key[prefix.Length..]).ToHashSet();

    private static ApiException Invalid(JsonObject service, string field, string value, string message) =>
        ApiException.Invalid("Service", ObjectMeta.Name(service) ?? "", "", [Causes.Invalid(field, value, message)]);
}
