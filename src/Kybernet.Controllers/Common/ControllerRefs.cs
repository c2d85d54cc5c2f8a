using k8s;
using k8s.Models;

namespace Kybernet.Controllers.Common;

/// <summary>Controller ownerReferences (controller=true): who manages an object, as every workload controller records it.</summary>
public static class ControllerRefs
{
    /// <summary>The owner reference with controller=true, or null when nothing controls the object.</summary>
    public static V1OwnerReference? ControllerOf(V1ObjectMeta? metadata) =>
        metadata?.OwnerReferences?.FirstOrDefault(o => o.Controller == true);

    /// <summary>Whether <paramref name="owner"/> (by uid) is the object's controller.</summary>
    public static bool IsControlledBy(V1ObjectMeta? metadata, V1ObjectMeta owner) =>
        ControllerOf(metadata)?.Uid == owner.Uid;

    /// <summary>A controller reference to <paramref name="owner"/> that blocks its foreground deletion until the dependent is gone.</summary>
    public static V1OwnerReference For(IKubernetesObject<V1ObjectMeta> owner, string apiVersion, string kind) => new()
    {
        ApiVersion = apiVersion,
        Kind = kind,
        Name = owner.Metadata.Name,
        Uid = owner.Metadata.Uid,
        Controller = true,
        BlockOwnerDeletion = true,
    };
}
