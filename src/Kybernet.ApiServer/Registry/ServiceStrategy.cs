using System.Text.Json.Nodes;
using Kybernet.Api.Names;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Registry.Subresources;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Registry;

/// <summary>
/// Services: defaults (type, session affinity, port protocol and targetPort), checks of type and
/// ports, and the addresses stored with them: a new service claims its cluster IP and node ports in
/// the write that creates it (<see cref="ServiceAllocator"/>), an update keeps them (the cluster IP
/// is set once) and claims the node ports it adds. Claims no service holds any more are freed by
/// the <see cref="ServiceClaimRepair"/> loop.
/// </summary>
public sealed class ServiceStrategy : ResourceStrategy
{
    private static readonly string[] Types = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
    private readonly ServiceAllocator _allocator;

    public ServiceStrategy(ServiceAllocator allocator) : base(ResourceDefinition.Core("Service", "services", "service", shortNames: ["svc"], categories: ["all"]))
    {
        _allocator = allocator;
        Subresources = [new StatusSubresource(this), new ServiceProxySubresource()];
    }

    public override IReadOnlyList<Subresource> Subresources { get; }

    public override void PrepareForCreate(JsonObject obj) => obj["status"] = new JsonObject { ["loadBalancer"] = new JsonObject() };

    public override void Default(JsonObject obj)
    {
        if (obj["spec"] is not JsonObject spec)
            return;
        Defaults.Set(spec, "type", () => "ClusterIP");
        Defaults.Set(spec, "sessionAffinity", () => "None");
        foreach (var p in (spec["ports"] as JsonArray ?? []).OfType<JsonObject>())
        {
            Defaults.Set(p, "protocol", () => "TCP");
            if (p["port"] is JsonNode port)
                Defaults.Set(p, "targetPort", () => port.DeepClone());
        }
    }

    /// <summary>
    /// Keeps the status, the cluster IP and its family fields (clients leave them out; upstream
    /// treats them as set once), and the node ports of ports the service had; a type without node
    /// ports drops them.
    /// </summary>
    public override void PrepareForUpdate(JsonObject next, JsonObject current)
    {
        KeepStatus(next, current);
        if (next["spec"] is not JsonObject spec || current["spec"] is not JsonObject old)
            return;
        foreach (var field in new[] { "clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy", "internalTrafficPolicy" })
            if (spec[field] is null && old[field] is { } value)
                spec[field] = value.DeepClone();
        var ports = (spec["ports"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (!HasNodePorts(spec))
        {
            foreach (var p in ports)
                p.Remove("nodePort");
            return;
        }
        spec["externalTrafficPolicy"] ??= old["externalTrafficPolicy"]?.DeepClone() ?? "Cluster";
        var oldPorts = (old["ports"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        foreach (var p in ports)
            if (p["nodePort"] is null && oldPorts.FirstOrDefault(o => JsonNode.DeepEquals(o["port"], p["port"]))?["nodePort"] is { } kept)
                p["nodePort"] = kept.DeepClone();
    }

    protected override IReadOnlyList<string> ValidateName(string name) => NameValidation.IsDns1035Label(name);

    protected override void Validate(JsonObject obj, List<StatusCause> causes)
    {
        var spec = obj["spec"] as JsonObject;
        var type = ObjectMeta.Str(spec?["type"]) ?? "ClusterIP";
        if (!Types.Contains(type))
            causes.Add(Causes.NotSupported("spec.type", type, Types));
        if (spec?["ports"] is not JsonArray ports)
        {
            if (type != "ExternalName" && ObjectMeta.Str(spec?["clusterIP"]) != "None")
                causes.Add(Causes.Required("spec.ports"));
            return;
        }
        for (int i = 0; i < ports.Count; i++)
        {
            CommonValidation.Port(ports[i]?["port"], $"spec.ports[{i}].port", causes);
            if (ports[i]?["nodePort"] is JsonValue np && np.TryGetValue(out long nodePort) && (nodePort < 30000 || nodePort > 32767))
                causes.Add(Causes.Invalid($"spec.ports[{i}].nodePort", nodePort.ToString(), "provided port is not in the valid range. The range of valid ports is 30000-32767"));
            if (ports.Count > 1 && string.IsNullOrEmpty(ObjectMeta.Str(ports[i]?["name"])))
                causes.Add(Causes.Required($"spec.ports[{i}].name"));
        }
    }

    protected override void ValidateChange(JsonObject next, JsonObject current, List<StatusCause> causes)
    {
        if (ObjectMeta.Str(next["spec"]?["clusterIP"]) is { } ip && ObjectMeta.Str(current["spec"]?["clusterIP"]) is { } oldIp && ip != oldIp)
            causes.Add(Causes.Immutable("spec.clusterIP", ip));
    }

    public override Task<IReadOnlyList<string>> PlanCreateClaimsAsync(JsonObject obj, CancellationToken ct) =>
        _allocator.PlanCreateAsync(obj, ct);

    /// <summary>Node ports for ports that have none yet, and a claim for each one asked for that the service did not hold.</summary>
    public override async Task<IReadOnlyList<string>> PlanUpdateClaimsAsync(JsonObject next, JsonObject current, CancellationToken ct)
    {
        if (next["spec"] is not JsonObject spec || !HasNodePorts(spec))
            return [];
        var held = (current["spec"]?["ports"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(o => o["nodePort"] is JsonValue v && v.TryGetValue(out int n) ? n : 0).Where(n => n != 0).ToHashSet();
        return await _allocator.PlanNodePortsAsync(next, held, ct);
    }

    private static bool HasNodePorts(JsonObject spec) => (ObjectMeta.Str(spec["type"]) ?? "ClusterIP") is "NodePort" or "LoadBalancer";
}
