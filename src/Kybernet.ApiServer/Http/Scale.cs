using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Http;

/// <summary>The /scale subresource: an autoscaling/v1 Scale view of a workload's replicas.</summary>
public static class Scale
{
    public static JsonObject From(ResourceDefinition r, JsonObject obj)
    {
        var meta = ObjectMeta.Metadata(obj);
        var spec = obj["spec"]?["selector"] as JsonObject;
        var selector = r.Kind == "ReplicationController"
            ? (spec is null ? "" : Join(spec))
            : (spec?["matchLabels"] is JsonObject matchLabels ? Join(matchLabels) : "");
        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = meta["name"]?.DeepClone(),
                ["namespace"] = meta["namespace"]?.DeepClone(),
                ["uid"] = meta["uid"]?.DeepClone(),
                ["resourceVersion"] = meta["resourceVersion"]?.DeepClone(),
                ["creationTimestamp"] = meta["creationTimestamp"]?.DeepClone(),
            },
            ["spec"] = new JsonObject { ["replicas"] = obj["spec"]?["replicas"]?.DeepClone() ?? 0 },
            ["status"] = new JsonObject
            {
                ["replicas"] = obj["status"]?["replicas"]?.DeepClone() ?? 0,
                ["selector"] = selector,
            },
        };
    }

    /// <summary>A patched or replaced Scale changes only the workload's spec.replicas.</summary>
    public static JsonObject ApplyTo(ResourceDefinition r, JsonObject current, JsonObject scale)
    {
        var replicas = scale["spec"]?["replicas"]
            ?? throw ApiException.Invalid("Scale", ObjectMeta.Name(current) ?? "", "autoscaling", [new StatusCause("FieldValueRequired", "Required value", "spec.replicas")]);
        if (replicas.GetValue<long>() < 0)
            throw ApiException.Invalid("Scale", ObjectMeta.Name(current) ?? "", "autoscaling", [new StatusCause("FieldValueInvalid", "must be greater than or equal to 0", "spec.replicas")]);
        var next = (JsonObject)current.DeepClone();
        ((JsonObject)next["spec"]!)["replicas"] = replicas.DeepClone();
        return next;
    }

    private static string Join(JsonObject labels) => string.Join(',', labels.Select(l => $"{l.Key}={l.Value}"));
}
