using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Registry.Subresources;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Registry;

/// <summary>
/// Nodes: a kubelet registers its node with its status already filled, so a new node keeps it; the
/// main resource keeps the status after that. Writes through /status keep their labels and
/// annotations too, as upstream's node status strategy allows (flanneld, allowed only nodes/status,
/// sets its annotations that way). A pod CIDR, once given, stays.
/// </summary>
public sealed class NodeStrategy : ResourceStrategy
{
    public NodeStrategy() : base(ResourceDefinition.Core("Node", "nodes", "node", namespaced: false, shortNames: ["no"])) =>
        Subresources = [new StatusSubresource(this), new NodeProxySubresource()];

    public override IReadOnlyList<Subresource> Subresources { get; }

    public override void PrepareForCreate(JsonObject obj) => obj["status"] ??= new JsonObject();

    public override void PrepareForUpdate(JsonObject next, JsonObject current) => KeepStatus(next, current);

    public override JsonObject PrepareForStatusUpdate(JsonObject written, JsonObject current)
    {
        var next = base.PrepareForStatusUpdate(written, current);
        var kept = ObjectMeta.Metadata(next);
        foreach (var field in new[] { "labels", "annotations" })
        {
            if (ObjectMeta.Metadata(written)[field] is { } value) kept[field] = value.DeepClone();
            else kept.Remove(field);
        }
        return next;
    }

    protected override void ValidateChange(JsonObject next, JsonObject current, List<StatusCause> causes)
    {
        foreach (var field in new[] { "podCIDR", "podCIDRs" })
        {
            var old = current["spec"]?[field];
            bool unset = old is null || (old is JsonArray { Count: 0 }) || ObjectMeta.Str(old) == "";
            if (!unset && !JsonNode.DeepEquals(old, next["spec"]?[field]))
                causes.Add(Causes.Forbidden($"spec.{field}", "node updates may not change podCIDR except from \"\" to valid"));
        }
    }
}
