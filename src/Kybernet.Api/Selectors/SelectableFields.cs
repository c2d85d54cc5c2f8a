using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kybernet.Api.Selectors;

/// <summary>
/// The fields each kind can be selected by, and their values read from an object, as Kubernetes'
/// registries define them (GetAttrs / field label conversion of core/v1 and apps/v1):
/// every kind has <c>metadata.name</c> and <c>metadata.namespace</c>; Pod, Event, Secret, Node,
/// Namespace, ReplicaSet and ReplicationController add their own. Missing values read as ""
/// (booleans "false", counts "0").
/// </summary>
public static class SelectableFields
{
    private delegate string Reader(JsonObject obj);

    private static readonly Dictionary<string, Reader> Common = new(StringComparer.Ordinal)
    {
        ["metadata.name"] = o => Text(o, "metadata", "name"),
        ["metadata.namespace"] = o => Text(o, "metadata", "namespace"),
    };

    private static readonly Dictionary<string, Dictionary<string, Reader>> ByKind = new(StringComparer.Ordinal)
    {
        ["Pod"] = new(StringComparer.Ordinal)
        {
            ["spec.nodeName"] = o => Text(o, "spec", "nodeName"),
            ["spec.restartPolicy"] = o => Text(o, "spec", "restartPolicy"),
            ["spec.schedulerName"] = o => Text(o, "spec", "schedulerName"),
            ["spec.serviceAccountName"] = o => Text(o, "spec", "serviceAccountName"),
            ["spec.hostNetwork"] = o => Bool(o, "spec", "hostNetwork"),
            ["status.phase"] = o => Text(o, "status", "phase"),
            ["status.podIP"] = PodIP,
            ["status.nominatedNodeName"] = o => Text(o, "status", "nominatedNodeName"),
        },
        ["Event"] = new(StringComparer.Ordinal)
        {
            ["involvedObject.kind"] = o => Text(o, "involvedObject", "kind"),
            ["involvedObject.namespace"] = o => Text(o, "involvedObject", "namespace"),
            ["involvedObject.name"] = o => Text(o, "involvedObject", "name"),
            ["involvedObject.uid"] = o => Text(o, "involvedObject", "uid"),
            ["involvedObject.apiVersion"] = o => Text(o, "involvedObject", "apiVersion"),
            ["involvedObject.resourceVersion"] = o => Text(o, "involvedObject", "resourceVersion"),
            ["involvedObject.fieldPath"] = o => Text(o, "involvedObject", "fieldPath"),
            ["reason"] = o => Text(o, "reason"),
            ["reportingComponent"] = o => Text(o, "reportingComponent"),
            // source.component, or the reporting controller when the old field is empty.
            ["source"] = o => Text(o, "source", "component") is { Length: > 0 } s ? s : Text(o, "reportingComponent"),
            ["type"] = o => Text(o, "type"),
        },
        ["Secret"] = new(StringComparer.Ordinal)
        {
            ["type"] = o => Text(o, "type"),
        },
        ["Node"] = new(StringComparer.Ordinal)
        {
            ["spec.unschedulable"] = o => Bool(o, "spec", "unschedulable"),
        },
        ["Namespace"] = new(StringComparer.Ordinal)
        {
            ["status.phase"] = o => Text(o, "status", "phase"),
        },
        ["ReplicaSet"] = new(StringComparer.Ordinal)
        {
            ["status.replicas"] = o => Integer(o, "status", "replicas"),
        },
        ["ReplicationController"] = new(StringComparer.Ordinal)
        {
            ["status.replicas"] = o => Integer(o, "status", "replicas"),
        },
    };

    /// <summary>The fields <paramref name="kind"/> supports, common ones first.</summary>
    public static IReadOnlyList<string> For(string kind) =>
        [.. Common.Keys, .. ByKind.TryGetValue(kind, out var own) ? own.Keys : Enumerable.Empty<string>()];

    public static bool IsSupported(string kind, string field) => Find(kind, field) is not null;

    /// <summary>Throws <see cref="SelectorException"/> ("field label not supported: x") for an unknown field.</summary>
    public static void EnsureSupported(string kind, string field)
    {
        if (!IsSupported(kind, field))
            throw new SelectorException($"field label not supported: {field}");
    }

    /// <summary>The field's value on <paramref name="obj"/>, or null when the kind has no such field.</summary>
    public static string? Read(JsonObject obj, string kind, string field) => Find(kind, field)?.Invoke(obj);

    private static Reader? Find(string kind, string field) =>
        Common.TryGetValue(field, out var common) ? common
        : ByKind.TryGetValue(kind, out var own) && own.TryGetValue(field, out var reader) ? reader
        : null;

    // The first of status.podIPs, as upstream; status.podIP when only that is set.
    private static string PodIP(JsonObject pod) =>
        pod["status"]?["podIPs"] is JsonArray { Count: > 0 } ips && ips[0]?["ip"] is JsonValue ip && ip.TryGetValue<string>(out var s)
            ? s
            : Text(pod, "status", "podIP");

    private static JsonNode? At(JsonObject obj, string[] path)
    {
        JsonNode? node = obj;
        foreach (var name in path)
            node = node is JsonObject o ? o[name] : null;
        return node;
    }

    private static string Text(JsonObject obj, params string[] path) =>
        At(obj, path) is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    private static string Bool(JsonObject obj, params string[] path) =>
        At(obj, path) is JsonValue v && v.GetValueKind() == JsonValueKind.True ? "true" : "false";

    private static string Integer(JsonObject obj, params string[] path) =>
        At(obj, path) is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var n)
            ? n.ToString(CultureInfo.InvariantCulture)
            : "0";
}
