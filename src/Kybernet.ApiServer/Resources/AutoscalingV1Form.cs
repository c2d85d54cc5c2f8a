using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;

namespace Kybernet.ApiServer.Resources;

/// <summary>
/// autoscaling/v1 HorizontalPodAutoscalers are the autoscaling/v2 ones, stored once in v2's form
/// (`kubectl autoscale` 1.32 posts v1). v1 has one metric, targetCPUUtilizationPercentage: it is v2's
/// Resource cpu Utilization metric (80% when none is given, v2's default). What v1 cannot hold (other
/// metrics, behavior, conditions) travels in upstream's annotations, so a v1 round trip keeps it.
/// </summary>
public sealed class AutoscalingV1Form : IStoredForm
{
    private const string MetricsAnnotation = "autoscaling.alpha.kubernetes.io/metrics";
    private const string CurrentMetricsAnnotation = "autoscaling.alpha.kubernetes.io/current-metrics";
    private const string BehaviorAnnotation = "autoscaling.alpha.kubernetes.io/behavior";
    private const string ConditionsAnnotation = "autoscaling.alpha.kubernetes.io/conditions";

    public static ResourceDefinition Resource { get; } = ResourceDefinition.Grouped("autoscaling", "HorizontalPodAutoscaler", "horizontalpodautoscalers",
        "horizontalpodautoscaler", shortNames: ["hpa"], categories: ["all"]) with
    {
        Storage = new StoredAs("autoscaling", "horizontalpodautoscalers", new AutoscalingV1Form()),
    };

    public JsonObject ToStored(JsonObject served)
    {
        var v2 = (JsonObject)served.DeepClone();
        v2["apiVersion"] = "autoscaling/v2";
        var annotations = v2["metadata"]?["annotations"] as JsonObject;
        var spec = Defaults.Object(v2, "spec");
        var metrics = Take(annotations, MetricsAnnotation) as JsonArray ?? [];
        var cpu = ObjectMeta.Integer(spec["targetCPUUtilizationPercentage"]);
        spec.Remove("targetCPUUtilizationPercentage");
        if (cpu is not null || metrics.Count == 0)
            metrics.Insert(0, Registry.HorizontalPodAutoscalerStrategy.CpuUtilization(cpu ?? 80));
        spec["metrics"] = metrics;
        if (Take(annotations, BehaviorAnnotation) is { } behavior)
            spec["behavior"] = behavior;
        var status = v2["status"] as JsonObject;
        var currentCpu = status?["currentCPUUtilizationPercentage"];
        status?.Remove("currentCPUUtilizationPercentage");
        var current = Take(annotations, CurrentMetricsAnnotation) as JsonArray ?? [];
        if (status is not null && ObjectMeta.Integer(currentCpu) is { } used)
            current.Insert(0, new JsonObject
            {
                ["type"] = "Resource",
                ["resource"] = new JsonObject { ["name"] = "cpu", ["current"] = new JsonObject { ["averageUtilization"] = used } },
            });
        if (status is not null && current.Count > 0)
            status["currentMetrics"] = current;
        if (status is not null && Take(annotations, ConditionsAnnotation) is { } conditions)
            status["conditions"] = conditions;
        if (annotations is { Count: 0 })
            (v2["metadata"] as JsonObject)?.Remove("annotations");
        return v2;
    }

    public JsonObject FromStored(JsonObject stored)
    {
        var v1 = (JsonObject)stored.DeepClone();
        v1["apiVersion"] = "autoscaling/v1";
        var spec = Defaults.Object(v1, "spec");
        var metrics = (spec["metrics"] as JsonArray ?? []).Select(m => m?.DeepClone()).ToList();
        spec.Remove("metrics");
        var cpu = metrics.FirstOrDefault(IsCpuUtilization);
        if (cpu is not null)
        {
            spec["targetCPUUtilizationPercentage"] = cpu["resource"]!["target"]!["averageUtilization"]!.DeepClone();
            metrics.Remove(cpu);
        }
        Keep(v1, MetricsAnnotation, metrics.Count > 0 ? new JsonArray([.. metrics]) : null);
        Keep(v1, BehaviorAnnotation, spec["behavior"]?.DeepClone());
        spec.Remove("behavior");
        if (v1["status"] is JsonObject status)
        {
            var current = (status["currentMetrics"] as JsonArray ?? []).Select(m => m?.DeepClone()).ToList();
            status.Remove("currentMetrics");
            var currentCpu = current.FirstOrDefault(m => ObjectMeta.Str(m?["type"]) == "Resource" && ObjectMeta.Str(m?["resource"]?["name"]) == "cpu"
                && m?["resource"]?["current"]?["averageUtilization"] is not null);
            if (currentCpu is not null)
            {
                status["currentCPUUtilizationPercentage"] = currentCpu["resource"]!["current"]!["averageUtilization"]!.DeepClone();
                current.Remove(currentCpu);
            }
            Keep(v1, CurrentMetricsAnnotation, current.Count > 0 ? new JsonArray([.. current]) : null);
            Keep(v1, ConditionsAnnotation, status["conditions"]?.DeepClone());
            status.Remove("conditions");
        }
        return v1;
    }

    private static bool IsCpuUtilization(JsonNode? metric) =>
        ObjectMeta.Str(metric?["type"]) == "Resource" && ObjectMeta.Str(metric?["resource"]?["name"]) == "cpu"
        && ObjectMeta.Str(metric?["resource"]?["target"]?["type"]) == "Utilization" && metric?["resource"]?["target"]?["averageUtilization"] is not null;

    /// <summary>Removes an annotation holding JSON and returns what it held (null: none, or not JSON).</summary>
    private static JsonNode? Take(JsonObject? annotations, string key)
    {
        if (annotations is null || ObjectMeta.Str(annotations[key]) is not { } text)
            return null;
        annotations.Remove(key);
        try { return JsonNode.Parse(text); }
        catch (System.Text.Json.JsonException)
        {
            return null; // not ours (a user's text under the same key): dropped, as upstream drops what it cannot convert
        }
    }

    private static void Keep(JsonObject obj, string key, JsonNode? value)
    {
        if (value is null)
            return;
        Defaults.Object(ObjectMeta.Metadata(obj), "annotations")[key] = value.ToJsonString();
    }
}
