using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Registry.Subresources;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Registry;

/// <summary>
/// PersistentVolumes (cluster-wide): Retain and Filesystem unless said otherwise, Pending until the
/// binder makes them Available, a capacity, at least one access mode and exactly one volume source.
/// </summary>
public sealed class PersistentVolumeStrategy : ResourceStrategy
{
    private static readonly string[] AccessModes = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"];

    /// <summary>The spec fields that are not a volume source.</summary>
    private static readonly HashSet<string> NotSources =
        ["accessModes", "capacity", "claimRef", "mountOptions", "nodeAffinity", "persistentVolumeReclaimPolicy", "storageClassName", "volumeMode", "volumeAttributesClassName"];

    public PersistentVolumeStrategy() : base(ResourceDefinition.Core("PersistentVolume", "persistentvolumes", "persistentvolume", namespaced: false, shortNames: ["pv"])) =>
        Subresources = [new StatusSubresource(this)];

    public override IReadOnlyList<Subresource> Subresources { get; }

    public override void PrepareForCreate(JsonObject obj) => obj["status"] = new JsonObject { ["phase"] = "Pending" };

    public override void Default(JsonObject obj)
    {
        var spec = Defaults.Object(obj, "spec");
        Defaults.Set(spec, "persistentVolumeReclaimPolicy", () => "Retain");
        Defaults.Set(spec, "volumeMode", () => "Filesystem");
    }

    public override void PrepareForUpdate(JsonObject next, JsonObject current) => KeepStatus(next, current);

    protected override void Validate(JsonObject obj, List<StatusCause> causes)
    {
        var spec = obj["spec"] as JsonObject ?? [];
        ValidateAccessModes(spec["accessModes"], "spec.accessModes", causes);
        if (spec["capacity"]?["storage"] is null)
            causes.Add(Causes.Required("spec.capacity", "Required value: must specify a storage capacity"));
        var sources = spec.Select(p => p.Key).Where(k => !NotSources.Contains(k)).ToList();
        if (sources.Count == 0)
            causes.Add(Causes.Required("spec", "Required value: must specify a volume type"));
        else if (sources.Count > 1)
            causes.Add(Causes.Forbidden($"spec.{sources[1]}", "may not specify more than 1 volume type"));
        if (ObjectMeta.Str(spec["persistentVolumeReclaimPolicy"]) is { } policy && policy is not ("Retain" or "Delete" or "Recycle"))
            causes.Add(Causes.NotSupported("spec.persistentVolumeReclaimPolicy", policy, ["Delete", "Recycle", "Retain"]));
        ValidateVolumeMode(spec["volumeMode"], "spec.volumeMode", causes);
    }

    protected override void ValidateChange(JsonObject next, JsonObject current, List<StatusCause> causes)
    {
        var mode = ObjectMeta.Str(next["spec"]?["volumeMode"]);
        if (mode != ObjectMeta.Str(current["spec"]?["volumeMode"]))
            causes.Add(Causes.Immutable("spec.volumeMode", mode ?? ""));
    }

    /// <summary>At least one access mode, each one upstream knows.</summary>
    public static void ValidateAccessModes(JsonNode? modes, string path, List<StatusCause> causes)
    {
        if (modes is not JsonArray { Count: > 0 } list)
        {
            causes.Add(Causes.Required(path, "Required value: at least 1 access mode is required"));
            return;
        }
        foreach (var mode in list.Select(ObjectMeta.Str))
            if (mode is null || !AccessModes.Contains(mode))
                causes.Add(Causes.NotSupported(path, mode ?? "", AccessModes));
    }

    public static void ValidateVolumeMode(JsonNode? mode, string path, List<StatusCause> causes)
    {
        if (ObjectMeta.Str(mode) is { } m && m is not ("Block" or "Filesystem"))
            causes.Add(Causes.NotSupported(path, m, ["Block", "Filesystem"]));
    }
}
