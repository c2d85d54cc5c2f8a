using System.Text.Json.Nodes;
using Kybernet.Api.Selectors;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Registry.Subresources;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Registry;

/// <summary>
/// ReplicationControllers: a workload whose selector is a plain label map; left out, it selects the
/// template's labels (what RCs have always done).
/// </summary>
public sealed class ReplicationControllerStrategy() : WorkloadStrategy(ResourceDefinition.Core("ReplicationController", "replicationcontrollers", "replicationcontroller", shortNames: ["rc"], categories: ["all"]))
{
    public override void Default(JsonObject obj)
    {
        base.Default(obj);
        var spec = Defaults.Object(obj, "spec");
        if (spec["selector"] is null && spec["template"]?["metadata"]?["labels"] is JsonObject labels)
            spec["selector"] = labels.DeepClone();
    }

    protected override string SelectorQuery(JsonObject workload) => ScaleSubresource.Join(workload["spec"]?["selector"] as JsonObject);

    protected override void ValidateSelector(JsonObject spec, JsonObject? templateLabels, List<StatusCause> causes)
    {
        if (spec["selector"] is JsonObject selector && templateLabels is not null
            && !LabelSelector.FromMap(AsMap(selector)).Matches(AsMap(templateLabels)))
            causes.Add(Causes.Invalid("spec.template.metadata.labels", "", "`selector` does not match template `labels`"));
    }
}
