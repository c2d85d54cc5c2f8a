using System.Text.Json.Nodes;
using Kybernet.Api.Names;
using Kybernet.Api.Selectors;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Admission;

/// <summary>
/// The checks upstream makes before storing an object, for the fields Kybernet's components rely
/// on: names, a pod's containers, a workload's selector and template, a service's ports. Every
/// problem becomes a cause of one 422 Invalid answer, with the field's path as upstream names it.
/// </summary>
public static class Validator
{
    public static void Validate(ResourceDefinition r, JsonObject obj, JsonObject? old)
    {
        var causes = new List<StatusCause>();
        var name = ObjectMeta.Name(obj);
        if (string.IsNullOrEmpty(name))
            causes.Add(Required("metadata.name", "name or generateName is required"));
        else
        {
            var problems = r.Kind switch
            {
                "Namespace" => NameValidation.IsDns1123Label(name),
                "Service" => NameValidation.IsDns1035Label(name),
                _ => NameValidation.IsDns1123Subdomain(name),
            };
            causes.AddRange(problems.Select(p => Invalid("metadata.name", name, p)));
        }
        Labels(obj["metadata"]?["labels"], "metadata.labels", causes);

        switch (r.Kind)
        {
            case "Pod":
                PodSpec(obj["spec"] as JsonObject, "spec", causes);
                break;
            case "Deployment" or "ReplicaSet" or "ReplicationController":
                Workload(r.Kind, obj, causes);
                break;
            case "Service":
                Service(obj["spec"] as JsonObject, causes);
                break;
        }
        if (old is not null && ObjectMeta.Str(obj["spec"]?["clusterIP"]) is { } ip && ObjectMeta.Str(old["spec"]?["clusterIP"]) is { } oldIp && ip != oldIp)
            causes.Add(Invalid("spec.clusterIP", ip, "field is immutable"));
        if (causes.Count > 0)
            throw ApiException.Invalid(r.Kind, name ?? "", r.Group, causes);
    }

    private static void PodSpec(JsonObject? spec, string path, List<StatusCause> causes)
    {
        if (spec?["containers"] is not JsonArray { Count: > 0 } containers)
        {
            causes.Add(Required($"{path}.containers", "Required value"));
            return;
        }
        var names = new HashSet<string>();
        for (int i = 0; i < containers.Count; i++)
        {
            var c = containers[i] as JsonObject;
            var at = $"{path}.containers[{i}]";
            var name = ObjectMeta.Str(c?["name"]);
            if (string.IsNullOrEmpty(name))
                causes.Add(Required($"{at}.name", "Required value"));
            else
            {
                causes.AddRange(NameValidation.IsDns1123Label(name).Select(p => Invalid($"{at}.name", name, p)));
                if (!names.Add(name))
                    causes.Add(new StatusCause("FieldValueDuplicate", $"Duplicate value: \"{name}\"", $"{at}.name"));
            }
            if (string.IsNullOrWhiteSpace(ObjectMeta.Str(c?["image"])))
                causes.Add(Required($"{at}.image", "Required value"));
            if (c?["ports"] is JsonArray ports)
                for (int p = 0; p < ports.Count; p++)
                    Port(ports[p]?["containerPort"], $"{at}.ports[{p}].containerPort", causes);
        }
    }

    private static void Workload(string kind, JsonObject obj, List<StatusCause> causes)
    {
        var spec = obj["spec"] as JsonObject;
        if (spec?["replicas"] is JsonValue v && v.TryGetValue(out long replicas) && replicas < 0)
            causes.Add(Invalid("spec.replicas", replicas.ToString(), "must be greater than or equal to 0"));
        var template = spec?["template"] as JsonObject;
        if (template is null)
        {
            causes.Add(Required("spec.template", "Required value"));
            return;
        }
        PodSpec(template["spec"] as JsonObject, "spec.template.spec", causes);
        var templateLabels = template["metadata"]?["labels"] as JsonObject;
        if (kind == "ReplicationController")
        {
            if (spec!["selector"] is JsonObject plain && templateLabels is not null
                && !LabelSelector.FromMap(plain.ToDictionary(p => p.Key, p => ObjectMeta.Str(p.Value) ?? "")).Matches(templateLabels.ToDictionary(p => p.Key, p => ObjectMeta.Str(p.Value) ?? "")))
                causes.Add(Invalid("spec.template.metadata.labels", "", "`selector` does not match template `labels`"));
            return;
        }
        if (spec!["selector"] is not JsonObject selector)
        {
            causes.Add(Required("spec.selector", "Required value"));
            return;
        }
        LabelSelector parsed;
        try { parsed = LabelSelector.FromJson(selector); }
        catch (SelectorException e)
        {
            causes.Add(Invalid("spec.selector", selector.ToJsonString(), e.Message));
            return;
        }
        if (parsed.IsEverything)
            causes.Add(Invalid("spec.selector", "", "empty selector is invalid for deployment"));
        else if (!parsed.Matches(templateLabels?.ToDictionary(p => p.Key, p => ObjectMeta.Str(p.Value) ?? "") ?? []))
            causes.Add(Invalid("spec.template.metadata.labels", templateLabels?.ToJsonString() ?? "", "`selector` does not match template `labels`"));
    }

    private static void Service(JsonObject? spec, List<StatusCause> causes)
    {
        var type = ObjectMeta.Str(spec?["type"]) ?? "ClusterIP";
        if (type is not ("ClusterIP" or "NodePort" or "LoadBalancer" or "ExternalName"))
            causes.Add(new StatusCause("FieldValueNotSupported", $"Unsupported value: \"{type}\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"", "spec.type"));
        if (spec?["ports"] is not JsonArray ports)
        {
            if (type != "ExternalName" && ObjectMeta.Str(spec?["clusterIP"]) != "None")
                causes.Add(Required("spec.ports", "Required value"));
            return;
        }
        for (int i = 0; i < ports.Count; i++)
        {
            Port(ports[i]?["port"], $"spec.ports[{i}].port", causes);
            if (ports[i]?["nodePort"] is JsonValue np && np.TryGetValue(out long nodePort) && (nodePort < 30000 || nodePort > 32767))
                causes.Add(Invalid($"spec.ports[{i}].nodePort", nodePort.ToString(), "provided port is not in the valid range. The range of valid ports is 30000-32767"));
            if (ports.Count > 1 && string.IsNullOrEmpty(ObjectMeta.Str(ports[i]?["name"])))
                causes.Add(Required($"spec.ports[{i}].name", "Required value"));
        }
    }

    private static void Port(JsonNode? node, string path, List<StatusCause> causes)
    {
        if (node is not JsonValue v || !v.TryGetValue(out long port))
            causes.Add(Required(path, "Required value"));
        else if (port is < 1 or > 65535)
            causes.Add(Invalid(path, port.ToString(), "must be between 1 and 65535, inclusive"));
    }

    private static void Labels(JsonNode? labels, string path, List<StatusCause> causes)
    {
        if (labels is not JsonObject map)
            return;
        foreach (var (key, value) in map)
        {
            causes.AddRange(LabelSyntax.IsQualifiedName(key).Select(p => Invalid($"{path}", key, p)));
            var text = ObjectMeta.Str(value) ?? "";
            causes.AddRange(LabelSyntax.IsValidLabelValue(text).Select(p => Invalid($"{path}", text, p)));
        }
    }

    private static StatusCause Required(string field, string message) => new("FieldValueRequired", message, field);

    private static StatusCause Invalid(string field, string value, string message) =>
        new("FieldValueInvalid", $"Invalid value: \"{value}\": {message}", field);
}
