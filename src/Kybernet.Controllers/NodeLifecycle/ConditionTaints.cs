using k8s.Models;
using Kybernet.Controllers.Common;

namespace Kybernet.Controllers.NodeLifecycle;

/// <summary>
/// Which taints a node's conditions and spec call for, as upstream's node lifecycle controller decides them: Ready=False
/// gives node.kubernetes.io/not-ready and Ready=Unknown node.kubernetes.io/unreachable, each as NoExecute (pods are
/// evicted) and NoSchedule (nothing new lands); the pressure conditions and NetworkUnavailable give their NoSchedule
/// taints (TaintNodesByCondition); spec.unschedulable (cordon) gives node.kubernetes.io/unschedulable:NoSchedule.
/// Taints with other keys are someone else's and stay as they are.
/// </summary>
public static class ConditionTaints
{
    public const string MemoryPressure = "node.kubernetes.io/memory-pressure";
    public const string DiskPressure = "node.kubernetes.io/disk-pressure";
    public const string PidPressure = "node.kubernetes.io/pid-pressure";
    public const string NetworkUnavailable = "node.kubernetes.io/network-unavailable";

    /// <summary>The keys this controller owns: it adds and removes taints with these keys, never others.</summary>
    public static readonly IReadOnlySet<string> OwnedKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        Taints.NotReady, Taints.Unreachable, Taints.Unschedulable, MemoryPressure, DiskPressure, PidPressure, NetworkUnavailable,
    };

    /// <summary>(key, effect) of every owned taint the node should carry now.</summary>
    public static IReadOnlyList<(string Key, string Effect)> Desired(V1Node node)
    {
        var desired = new List<(string, string)>();
        foreach (var condition in node.Status?.Conditions ?? [])
        {
            var key = (condition.Type, condition.Status) switch
            {
                ("Ready", "False") => Taints.NotReady,
                ("Ready", "Unknown") => Taints.Unreachable,
                ("MemoryPressure", "True") => MemoryPressure,
                ("DiskPressure", "True") => DiskPressure,
                ("PIDPressure", "True") => PidPressure,
                ("NetworkUnavailable", "True") => NetworkUnavailable,
                _ => null,
            };
            if (key is null)
                continue;
            desired.Add((key, Taints.NoSchedule));
            if (condition.Type == "Ready")
                desired.Add((key, Taints.NoExecute));
        }
        if (node.Spec?.Unschedulable == true)
            desired.Add((Taints.Unschedulable, Taints.NoSchedule));
        return desired;
    }

    /// <summary>
    /// The node's taints as they should be: others' taints untouched, owned taints it should keep kept (with their
    /// timeAdded), missing ones added with timeAdded <paramref name="now"/>, the rest dropped. Null when nothing changes.
    /// </summary>
    public static IList<V1Taint>? Reconcile(V1Node node, DateTime now)
    {
        var current = node.Spec?.Taints ?? [];
        var desired = Desired(node);
        var next = current
            .Where(t => !OwnedKeys.Contains(t.Key) || desired.Contains((t.Key, t.Effect)))
            .ToList();
        foreach (var (key, effect) in desired)
            if (!next.Any(t => t.Key == key && t.Effect == effect))
                next.Add(new V1Taint { Key = key, Effect = effect, TimeAdded = now });
        bool same = next.Count == current.Count && next.All(current.Contains);
        return same ? null : next;
    }
}
