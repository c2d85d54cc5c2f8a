using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Registry.Subresources;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Registry;

/// <summary>
/// apps/v1 DaemonSets: one pod per node, so no replicas and no /scale; upstream's defaults (a rolling
/// update of one node at a time, no surge, history 10); a fixed apps/v1 selector that selects the
/// template, whose pods always restart.
/// </summary>
public sealed class DaemonSetStrategy : ResourceStrategy
{
    public DaemonSetStrategy() : base(ResourceDefinition.Grouped("apps", "DaemonSet", "daemonsets", "daemonset", shortNames: ["ds"], categories: ["all"])) =>
        Subresources = [new StatusSubresource(this)];

    public override IReadOnlyList<Subresource> Subresources { get; }

    public override void PrepareForCreate(JsonObject obj) => obj["status"] = new JsonObject
    {
        ["currentNumberScheduled"] = 0,
        ["numberMisscheduled"] = 0,
        ["desiredNumberScheduled"] = 0,
        ["numberReady"] = 0,
    };

    public override void Default(JsonObject obj)
    {
        var spec = Defaults.Object(obj, "spec");
        var strategy = Defaults.Object(spec, "updateStrategy");
        Defaults.Set(strategy, "type", () => "RollingUpdate");
        if (ObjectMeta.Str(strategy["type"]) == "RollingUpdate")
        {
            var rolling = Defaults.Object(strategy, "rollingUpdate");
            Defaults.Set(rolling, "maxUnavailable", () => 1);
            Defaults.Set(rolling, "maxSurge", () => 0);
        }
        Defaults.Set(spec, "revisionHistoryLimit", () => 10);
        PodTemplates.Default(spec["template"]);
    }

    public override void PrepareForUpdate(JsonObject next, JsonObject current) => KeepStatus(next, current);

    protected override void Validate(JsonObject obj, List<StatusCause> causes)
    {
        var spec = obj["spec"] as JsonObject ?? [];
        PodTemplates.Validate(spec["template"] as JsonObject, "spec.template", ["Always"], causes);
        WorkloadStrategy.ValidateLabelSelector(spec, spec["template"]?["metadata"]?["labels"] as JsonObject, causes);
        if (ObjectMeta.Str(spec["updateStrategy"]?["type"]) is { } type && type is not ("RollingUpdate" or "OnDelete"))
            causes.Add(Causes.NotSupported("spec.updateStrategy.type", type, ["OnDelete", "RollingUpdate"]));
        var rolling = spec["updateStrategy"]?["rollingUpdate"];
        IntOrPercent.Validate(rolling?["maxUnavailable"], "spec.updateStrategy.rollingUpdate.maxUnavailable", causes);
        IntOrPercent.Validate(rolling?["maxSurge"], "spec.updateStrategy.rollingUpdate.maxSurge", causes);
        if (rolling is not null && IsZero(rolling["maxUnavailable"]) && IsZero(rolling["maxSurge"]))
            causes.Add(Causes.Invalid("spec.updateStrategy.rollingUpdate.maxUnavailable", "0", "may not be 0 when `maxSurge` is 0"));
    }

    private static bool IsZero(JsonNode? value) => ObjectMeta.Integer(value) == 0 || IntOrPercent.Percent(value) == 0;

    protected override void ValidateChange(JsonObject next, JsonObject current, List<StatusCause> causes) =>
        WorkloadStrategy.ValidateSelectorUnchanged(next, current, causes);
}
