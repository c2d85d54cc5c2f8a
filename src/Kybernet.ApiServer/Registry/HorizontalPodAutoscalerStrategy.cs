using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Registry.Subresources;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Registry;

/// <summary>
/// autoscaling/v2 HorizontalPodAutoscalers, stored (no autoscaler acts on them yet): upstream's
/// defaults (at least one replica; no metrics means 80% average CPU utilization), a target with kind
/// and name, and maxReplicas at least minReplicas.
/// </summary>
public sealed class HorizontalPodAutoscalerStrategy : ResourceStrategy
{
    public HorizontalPodAutoscalerStrategy() : this(ResourceDefinition.Grouped("autoscaling", "HorizontalPodAutoscaler", "horizontalpodautoscalers",
        "horizontalpodautoscaler", shortNames: ["hpa"], categories: ["all"], version: "v2"))
    {
    }

    /// <summary>The same rules for another served form of HPAs (autoscaling/v1, converted to v2 on the way in).</summary>
    public HorizontalPodAutoscalerStrategy(ResourceDefinition resource) : base(resource) =>
        Subresources = [new StatusSubresource(this)];

    public override IReadOnlyList<Subresource> Subresources { get; }

    private bool IsV2 => Resource.Version == "v2";

    public override void PrepareForCreate(JsonObject obj) => obj["status"] = IsV2 ? new JsonObject { ["desiredReplicas"] = 0 } : new JsonObject { ["currentReplicas"] = 0, ["desiredReplicas"] = 0 };

    public override void Default(JsonObject obj)
    {
        var spec = Defaults.Object(obj, "spec");
        Defaults.Set(spec, "minReplicas", () => 1);
        if (IsV2 && spec["metrics"] is not JsonArray { Count: > 0 })
            spec["metrics"] = new JsonArray(CpuUtilization(80));
    }

    /// <summary>A v2 metric: average CPU utilization of the target's pods, in percent of their requests.</summary>
    public static JsonObject CpuUtilization(long percent) => new()
    {
        ["type"] = "Resource",
        ["resource"] = new JsonObject
        {
            ["name"] = "cpu",
            ["target"] = new JsonObject { ["type"] = "Utilization", ["averageUtilization"] = percent },
        },
    };

    public override void PrepareForUpdate(JsonObject next, JsonObject current) => KeepStatus(next, current);

    protected override void Validate(JsonObject obj, List<StatusCause> causes)
    {
        var spec = obj["spec"] as JsonObject ?? [];
        if (string.IsNullOrEmpty(ObjectMeta.Str(spec["scaleTargetRef"]?["kind"])))
            causes.Add(Causes.Required("spec.scaleTargetRef.kind"));
        if (string.IsNullOrEmpty(ObjectMeta.Str(spec["scaleTargetRef"]?["name"])))
            causes.Add(Causes.Required("spec.scaleTargetRef.name"));
        var min = ObjectMeta.Integer(spec["minReplicas"]) ?? 1;
        if (min < 1)
            causes.Add(Causes.Invalid("spec.minReplicas", min.ToString(), "must be greater than or equal to 1"));
        if (ObjectMeta.Integer(spec["maxReplicas"]) is not { } max)
            causes.Add(Causes.Required("spec.maxReplicas"));
        else if (max < min)
            causes.Add(Causes.Invalid("spec.maxReplicas", max.ToString(), "must be greater than or equal to `minReplicas`"));
    }
}
