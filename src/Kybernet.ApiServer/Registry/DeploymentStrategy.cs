using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Registry.Subresources;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Registry;

/// <summary>Deployments: a workload with upstream's rollout defaults (RollingUpdate 25%/25%, history 10, deadline 600 s) and a fixed selector.</summary>
public sealed class DeploymentStrategy() : WorkloadStrategy(ResourceDefinition.Grouped("apps", "Deployment", "deployments", "deployment", shortNames: ["deploy"], categories: ["all"]))
{
    public override void Default(JsonObject obj)
    {
        base.Default(obj);
        var spec = Defaults.Object(obj, "spec");
        // Field by field, as upstream: `strategy: {}` (what `kubectl create deployment` sends) becomes a rolling update too.
        var strategy = Defaults.Object(spec, "strategy");
        Defaults.Set(strategy, "type", () => "RollingUpdate");
        if (ObjectMeta.Str(strategy["type"]) == "RollingUpdate")
        {
            var rolling = Defaults.Object(strategy, "rollingUpdate");
            Defaults.Set(rolling, "maxUnavailable", () => "25%");
            Defaults.Set(rolling, "maxSurge", () => "25%");
        }
        Defaults.Set(spec, "revisionHistoryLimit", () => 10);
        Defaults.Set(spec, "progressDeadlineSeconds", () => 600);
    }

    protected override string SelectorQuery(JsonObject workload) => ScaleSubresource.Join(workload["spec"]?["selector"]?["matchLabels"] as JsonObject);

    protected override void ValidateSelector(JsonObject spec, JsonObject? templateLabels, List<StatusCause> causes) =>
        ValidateLabelSelector(spec, templateLabels, causes);

    protected override void ValidateChange(JsonObject next, JsonObject current, List<StatusCause> causes) =>
        ValidateSelectorUnchanged(next, current, causes);
}
