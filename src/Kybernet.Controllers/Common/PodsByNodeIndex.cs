using k8s.Models;
using Kybernet.Client.Informers;

namespace Kybernet.Controllers.Common;

/// <summary>
/// The pods on each node (by spec.nodeName) in a shared pod informer's cache, for the controllers that act on a node's
/// pods (node lifecycle, taint eviction, pod GC). Added once per informer whoever asks first; unbound pods are not indexed.
/// </summary>
public static class PodsByNodeIndex
{
    public const string Name = "pods-by-node";

    private static readonly Lock Adding = new();

    /// <summary>Makes sure the informer's cache has the index; returns the informer.</summary>
    public static SharedInformer<V1Pod> Ensure(SharedInformer<V1Pod> pods)
    {
        lock (Adding)
        {
            try
            {
                pods.Cache.ByIndex(Name, "");
            }
            catch (ArgumentException)
            {
                // Not there yet (the cache says so by throwing): this caller adds it.
                pods.Cache.AddIndexer(Name, pod => string.IsNullOrEmpty(pod.Spec?.NodeName) ? [] : [pod.Spec.NodeName]);
            }
        }
        return pods;
    }

    /// <summary>The pods bound to <paramref name="node"/>, as last seen.</summary>
    public static IReadOnlyList<V1Pod> On(SharedInformer<V1Pod> pods, string node) => pods.Cache.ByIndex(Name, node);
}
