using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Registry.Subresources;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Registry;

/// <summary>
/// PersistentVolumeClaims: Filesystem unless said otherwise, Pending until bound, at least one access
/// mode and a storage request; what a claim asks for is fixed once created, but for a larger request.
/// </summary>
public sealed class PersistentVolumeClaimStrategy : ResourceStrategy
{
    public PersistentVolumeClaimStrategy() : base(ResourceDefinition.Core("PersistentVolumeClaim", "persistentvolumeclaims", "persistentvolumeclaim", shortNames: ["pvc"])) =>
        Subresources = [new StatusSubresource(this)];

    public override IReadOnlyList<Subresource> Subresources { get; }

    public override void PrepareForCreate(JsonObject obj) => obj["status"] = new JsonObject { ["phase"] = "Pending" };

    public override void Default(JsonObject obj) => Defaults.Set(Defaults.Object(obj, "spec"), "volumeMode", () => "Filesystem");

    public override void PrepareForUpdate(JsonObject next, JsonObject current) => KeepStatus(next, current);

    protected override void Validate(JsonObject obj, List<StatusCause> causes)
    {
        var spec = obj["spec"] as JsonObject ?? [];
        PersistentVolumeStrategy.ValidateAccessModes(spec["accessModes"], "spec.accessModes", causes);
        if (spec["resources"]?["requests"]?["storage"] is null)
            causes.Add(Causes.Required("spec.resources[storage]"));
        PersistentVolumeStrategy.ValidateVolumeMode(spec["volumeMode"], "spec.volumeMode", causes);
    }

    protected override void ValidateChange(JsonObject next, JsonObject current, List<StatusCause> causes)
    {
        // Only the storage request may change (grow); the rest of what was asked is fixed.
        var spec = (JsonObject)(next["spec"]?.DeepClone() ?? new JsonObject());
        var old = (JsonObject)(current["spec"]?.DeepClone() ?? new JsonObject());
        spec.Remove("resources");
        old.Remove("resources");
        // A claim is bound by setting volumeName once.
        if (ObjectMeta.Str(old["volumeName"]) is null or "")
        {
            spec.Remove("volumeName");
            old.Remove("volumeName");
        }
        if (!JsonNode.DeepEquals(spec, old))
            causes.Add(Causes.Forbidden("spec", "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"));
    }
}
