using System.Runtime.CompilerServices;
using k8s.Models;
using Kybernet.Client.Informers;
namespace Kybernet.Controllers.Common;

/// <summary>
/// An index of the shared pod cache by controller: a sync reads its own pods (by its uid) and its namespace's orphans
/// (candidates for adoption) without scanning every pod. Registered once per cache, whichever controller asks first
/// (ReplicaSets, ReplicationControllers, DaemonSets, Jobs): one index kept per pod event, not one per controller.
/// </summary>
public static class PodsByController
{
    public const string Index = "pods-by-controller-uid";

    private static readonly ConditionalWeakTable<InformerCache<V1Pod>, object> Registered = new();

    public static void EnsureIndex(InformerCache<V1Pod> pods)
    {
        lock (Registered)
        {
            if (Registered.TryGetValue(pods, out _))
                return;
            pods.AddIndexer(Index, pod => [ControllerRefs.ControllerOf(pod.Metadata)?.Uid ?? OrphansOf(pod.Metadata.NamespaceProperty)]);
            Registered.Add(pods, new object());
        }
    }

    /// <summary>The pods whose controller has this uid.</summary>
    public static IReadOnlyList<V1Pod> ControlledBy(InformerCache<V1Pod> pods, string uid) => pods.ByIndex(Index, uid);

    /// <summary>The pods of the namespace that no controller owns.</summary>
    public static IReadOnlyList<V1Pod> Orphans(InformerCache<V1Pod> pods, string? ns) => pods.ByIndex(Index, OrphansOf(ns));

    // Not a uid (uids have no slash): orphans cannot collide with a controller's pods.
    private static string OrphansOf(string? ns) => "orphans/" + (ns ?? "");
}
