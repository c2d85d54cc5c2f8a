using k8s;
using k8s.Models;

namespace Kybernet.Client.Informers;

/// <summary>
/// How caches and work queues name an object: "NAMESPACE/NAME" for namespaced objects, "NAME" for cluster-scoped ones
/// (client-go's MetaNamespaceKeyFunc), so one string identifies it across informer, queue and log lines.
/// </summary>
public static class ObjectKey
{
    public static string Of(IKubernetesObject<V1ObjectMeta> obj) => For(obj.Metadata?.NamespaceProperty, obj.Metadata?.Name ?? "");

    public static string For(string? ns, string name) => string.IsNullOrEmpty(ns) ? name : $"{ns}/{name}";

    /// <summary>The namespace (null for a cluster-scoped key) and name a key stands for.</summary>
    public static (string? Namespace, string Name) Split(string key)
    {
        var slash = key.IndexOf('/');
        return slash < 0 ? (null, key) : (key[..slash], key[(slash + 1)..]);
    }
}
