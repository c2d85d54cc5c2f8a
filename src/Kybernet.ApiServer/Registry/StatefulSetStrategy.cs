using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Registry.Subresources;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Registry;

/// <summary>
/// apps/v1 StatefulSets: a workload (replicas, /status, /scale) with upstream's defaults (OrderedReady,
/// a rolling update from partition 0, history 10, claims retained when deleted or scaled down), pods
/// that always restart, and a spec of which an update may change only replicas, ordinals, template,
/// updateStrategy, persistentVolumeClaimRetentionPolicy and minReadySeconds.
/// </summary>
public sealed class StatefulSetStrategy() : WorkloadStrategy(ResourceDefinition.Grouped("apps", "StatefulSet", "statefulsets", "statefulset", shortNames: ["sts"], categories: ["all"]))
{
    private static readonly string[] Updatable = ["replicas", "ordinals", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy", "minReadySeconds"];

    public override void Default(JsonObject obj)
    {
        base.Default(obj);
        var spec = Defaults.Object(obj, "spec");
        Defaults.Set(spec, "podManagementPolicy", () => "OrderedReady");
        var strategy = Defaults.Object(spec, "updateStrategy");
        Defaults.Set(strategy, "type", () => "RollingUpdate");
        if (ObjectMeta.Str(strategy["type"]) == "RollingUpdate")
            Defaults.Set(Defaults.Object(strategy, "rollingUpdate"), "partition", () => 0);
        Defaults.Set(spec, "revisionHistoryLimit", () => 10);
        var retention = Defaults.Object(spec, "persistentVolumeClaimRetentionPolicy");
        Defaults.Set(retention, "whenDeleted", () => "Retain");
        Defaults.Set(retention, "whenScaled", () => "Retain");
    }

    protected override string SelectorQuery(JsonObject workload) => ScaleSubresource.Join(workload["spec"]?["selector"]?["matchLabels"] as JsonObject);

    protected override void ValidateSelector(JsonObject spec, JsonObject? templateLabels, List<StatusCause> causes) =>
        ValidateLabelSelector(spec, templateLabels, causes);

    protected override void Validate(JsonObject obj, List<StatusCause> causes)
    {
        base.Validate(obj, causes);
        var spec = obj["spec"] as JsonObject ?? [];
        if (ObjectMeta.Str(spec["template"]?["spec"]?["restartPolicy"]) is { } restart && restart != "Always")
            causes.Add(Causes.NotSupported("spec.template.spec.restartPolicy", restart, ["Always"]));
        if (ObjectMeta.Str(spec["podManagementPolicy"]) is { } policy && policy is not ("OrderedReady" or "Parallel"))
            causes.Add(Causes.NotSupported("spec.podManagementPolicy", policy, ["OrderedReady", "Parallel"]));
        if (ObjectMeta.Str(spec["updateStrategy"]?["type"]) is { } type && type is not ("RollingUpdate" or "OnDelete"))
            causes.Add(Causes.NotSupported("spec.updateStrategy.type", type, ["OnDelete", "RollingUpdate"]));
        if (ObjectMeta.Integer(spec["updateStrategy"]?["rollingUpdate"]?["partition"]) is < 0 and var partition)
            causes.Add(Causes.Invalid("spec.updateStrategy.rollingUpdate.partition", partition.ToString()!, "must be greater than or equal to 0"));
        foreach (var when in new[] { "whenDeleted", "whenScaled" })
            if (ObjectMeta.Str(spec["persistentVolumeClaimRetentionPolicy"]?[when]) is { } retain && retain is not ("Retain" or "Delete"))
                causes.Add(Causes.NotSupported($"spec.persistentVolumeClaimRetentionPolicy.{when}", retain, ["Retain", "Delete"]));
    }

    protected override void ValidateChange(JsonObject next, JsonObject current, List<StatusCause> causes)
    {
        var spec = (JsonObject)(next["spec"]?.DeepClone() ?? new JsonObject());
        var old = (JsonObject)(current["spec"]?.DeepClone() ?? new JsonObject());
        foreach (var field in Updatable)
        {
            spec.Remove(field);
            old.Remove(field);
        }
        if (!JsonNode.DeepEquals(spec, old))
            causes.Add(Causes.Forbidden("spec",
                "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"));
    }
}
