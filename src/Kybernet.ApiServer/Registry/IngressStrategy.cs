using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Registry.Subresources;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Registry;

/// <summary>
/// networking.k8s.io/v1 Ingresses: rules or a default backend; every path with a pathType (Exact,
/// Prefix, ImplementationSpecific; Exact and Prefix paths absolute) and a backend that is a service
/// (by name, with a port by number or by name) or a resource, not both. The status is the
/// ingress controller's.
/// </summary>
public sealed class IngressStrategy : ResourceStrategy
{
    private static readonly string[] PathTypes = ["Exact", "ImplementationSpecific", "Prefix"];

    public IngressStrategy() : base(ResourceDefinition.Grouped("networking.k8s.io", "Ingress", "ingresses", "ingress", shortNames: ["ing"])) =>
        Subresources = [new StatusSubresource(this)];

    public override IReadOnlyList<Subresource> Subresources { get; }

    public override void PrepareForCreate(JsonObject obj) => obj["status"] = new JsonObject { ["loadBalancer"] = new JsonObject() };

    public override void PrepareForUpdate(JsonObject next, JsonObject current) => KeepStatus(next, current);

    protected override void Validate(JsonObject obj, List<StatusCause> causes)
    {
        var spec = obj["spec"] as JsonObject ?? [];
        var rules = spec["rules"] as JsonArray ?? [];
        if (rules.Count == 0 && spec["defaultBackend"] is null)
            causes.Add(Causes.Invalid("spec.rules", "[]", "either `defaultBackend` or `rules` must be specified"));
        if (spec["defaultBackend"] is JsonObject backend)
            ValidateBackend(backend, "spec.defaultBackend", causes);
        for (int i = 0; i < rules.Count; i++)
        {
            var paths = rules[i]?["http"]?["paths"] as JsonArray;
            if (rules[i]?["http"] is not null && paths is not { Count: > 0 })
                causes.Add(Causes.Required($"spec.rules[{i}].http.paths"));
            for (int p = 0; p < (paths?.Count ?? 0); p++)
            {
                var at = $"spec.rules[{i}].http.paths[{p}]";
                var path = paths![p] as JsonObject ?? [];
                var type = ObjectMeta.Str(path["pathType"]);
                if (type is null)
                    causes.Add(Causes.Required($"{at}.pathType", "Required value: pathType must be specified"));
                else if (!PathTypes.Contains(type))
                    causes.Add(Causes.NotSupported($"{at}.pathType", type, PathTypes));
                else if (type is "Exact" or "Prefix" && !(ObjectMeta.Str(path["path"]) ?? "").StartsWith('/'))
                    causes.Add(Causes.Invalid($"{at}.path", ObjectMeta.Str(path["path"]) ?? "", "must be an absolute path"));
                if (path["backend"] is JsonObject b)
                    ValidateBackend(b, $"{at}.backend", causes);
                else
                    causes.Add(Causes.Required($"{at}.backend"));
            }
        }
    }

    private static void ValidateBackend(JsonObject backend, string path, List<StatusCause> causes)
    {
        var service = backend["service"] as JsonObject;
        if (service is not null && backend["resource"] is not null)
            causes.Add(Causes.Invalid(path, "", "cannot set both resource and service backends"));
        else if (service is null && backend["resource"] is null)
            causes.Add(Causes.Invalid(path, "", "resource or service backend is required"));
        if (service is null)
            return;
        if (string.IsNullOrEmpty(ObjectMeta.Str(service["name"])))
            causes.Add(Causes.Required($"{path}.service.name"));
        var port = service["port"] as JsonObject;
        bool byNumber = port?["number"] is not null, byName = !string.IsNullOrEmpty(ObjectMeta.Str(port?["name"]));
        if (byNumber && byName)
            causes.Add(Causes.Invalid($"{path}.service.port", port!.ToJsonString(), "cannot set both port name & port number"));
        else if (!byNumber && !byName)
            causes.Add(Causes.Required($"{path}.service.port", "Required value: port name or number is required"));
        else if (byNumber)
            CommonValidation.Port(port!["number"], $"{path}.service.port.number", causes);
    }
}
