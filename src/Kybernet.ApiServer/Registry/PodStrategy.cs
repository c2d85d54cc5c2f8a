using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Registry.Subresources;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Registry;

/// <summary>
/// Pods: a pod spec's defaults and checks; a new pod starts Pending; the status is the kubelet's,
/// written through /status. A pod's spec is fixed once created, as upstream has it, but for the
/// fields a running pod can take (images, activeDeadlineSeconds, added tolerations) and its node
/// while it has none.
/// </summary>
public sealed class PodStrategy : ResourceStrategy
{
    public PodStrategy() : base(ResourceDefinition.Core("Pod", "pods", "pod", shortNames: ["po"], categories: ["all"])) =>
        Subresources = [new StatusSubresource(this)];

    public override IReadOnlyList<Subresource> Subresources { get; }

    public override void PrepareForCreate(JsonObject obj) =>
        obj["status"] = new JsonObject { ["phase"] = "Pending", ["qosClass"] = "BestEffort" };

    public override void Default(JsonObject obj)
    {
        if (obj["spec"] is JsonObject spec)
            PodSpecs.Default(spec);
    }

    public override void PrepareForUpdate(JsonObject next, JsonObject current) => KeepStatus(next, current);

    protected override void Validate(JsonObject obj, List<StatusCause> causes) =>
        PodSpecs.Validate(obj["spec"] as JsonObject, "spec", causes);

    protected override void ValidateChange(JsonObject next, JsonObject current, List<StatusCause> causes)
    {
        var spec = next["spec"] as JsonObject ?? [];
        var old = current["spec"] as JsonObject ?? [];
        // The node is set once (by the scheduler, until pods/binding exists), then fixed like the rest.
        bool nodeOpen = ObjectMeta.Str(old["nodeName"]) is null or "";
        if (!JsonNode.DeepEquals(WithoutMutableFields(spec, nodeOpen), WithoutMutableFields(old, nodeOpen)))
            causes.Add(Causes.Forbidden("spec",
                "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.nodeName` (only when unset)"));
        var tolerations = (spec["tolerations"] as JsonArray ?? []).ToList();
        if ((old["tolerations"] as JsonArray ?? []).Any(o => !tolerations.Any(t => JsonNode.DeepEquals(o, t))))
            causes.Add(Causes.Forbidden("spec.tolerations", "existing toleration can not be modified except its tolerationSeconds"));
    }

    /// <summary>The spec with what an update may change taken out, for comparing the rest.</summary>
    private static JsonObject WithoutMutableFields(JsonObject spec, bool nodeOpen)
    {
        var copy = (JsonObject)spec.DeepClone();
        foreach (var list in new[] { "containers", "initContainers" })
            foreach (var c in (copy[list] as JsonArray ?? []).OfType<JsonObject>())
                c.Remove("image");
        copy.Remove("activeDeadlineSeconds");
        copy.Remove("tolerations");
        if (nodeOpen)
            copy.Remove("nodeName");
        return copy;
    }
}
