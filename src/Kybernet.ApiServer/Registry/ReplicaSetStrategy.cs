using System.Text.Json.Nodes;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Registry.Subresources;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Registry;

/// <summary>ReplicaSets: a workload with an apps/v1 selector, fixed once created.</summary>
public sealed class ReplicaSetStrategy() : WorkloadStrategy(ResourceDefinition.Grouped("apps", "ReplicaSet", "replicasets", "replicaset", shortNames: ["rs"], categories: ["all"]))
{
    protected override string SelectorQuery(JsonObject workload) => ScaleSubresource.Join(workload["spec"]?["selector"]?["matchLabels"] as JsonObject);

    protected override void ValidateSelector(JsonObject spec, JsonObject? templateLabels, List<StatusCause> causes) =>
        ValidateLabelSelector(spec, templateLabels, causes);

    protected override void ValidateChange(JsonObject next, JsonObject current, List<StatusCause> causes) =>
        ValidateSelectorUnchanged(next, current, causes);
}
