using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;

namespace Kybernet.ApiServer.Registry.Subresources;

/// <summary>
/// NAME/scale: an autoscaling/v1 Scale view of a workload's replicas (what `kubectl scale` reads and
/// writes); a written Scale changes only the workload's spec.replicas.
/// </summary>
/// <param name="selectorOf">The workload's selector as a label query, which each workload kind keeps in its own form.</param>
public sealed class ScaleSubresource(Func<JsonObject, string> selectorOf) : ViewSubresource
{
    public override string Name => "scale";

    public override GroupVersionKind ResponseKind { get; } = new("autoscaling", "v1", "Scale");

    public override JsonObject Show(JsonObject stored)
    {
        var meta = ObjectMeta.Metadata(stored);
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
            ["spec"] = new JsonObject { ["replicas"] = stored["spec"]?["replicas"]?.DeepClone() ?? 0 },
            ["status"] = new JsonObject
            {
                ["replicas"] = stored["status"]?["replicas"]?.DeepClone() ?? 0,
                ["selector"] = selectorOf(stored),
            },
        };
    }

    public override JsonObject ApplyTo(JsonObject current, JsonObject written)
    {
        var name = ObjectMeta.Name(current) ?? "";
        if (ObjectMeta.Integer(written["spec"]?["replicas"]) is not { } replicas)
            throw ApiException.Invalid("Scale", name, "autoscaling", [Causes.Required("spec.replicas")]);
        if (replicas < 0)
            throw ApiException.Invalid("Scale", name, "autoscaling", [Causes.Invalid("spec.replicas", replicas.ToString(), "must be greater than or equal to 0")]);
        var next = (JsonObject)current.DeepClone();
        Defaults.Object(next, "spec")["replicas"] = written["spec"]!["replicas"]!.DeepClone();
        return next;
    }

    /// <summary>label=value,... of a plain label map.</summary>
    public static string Join(JsonObject? labels) =>
        labels is null ? "" : string.Join(',', labels.Select(l => $"{l.Key}={ObjectMeta.Str(l.Value)}"));
}
