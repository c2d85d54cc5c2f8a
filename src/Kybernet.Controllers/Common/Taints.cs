using k8s.Models;

namespace Kybernet.Controllers.Common;

/// <summary>Taints and tolerations as the scheduler, the DaemonSet controller and node lifecycle read them (core/v1 helpers).</summary>
public static class Taints
{
    public const string NoSchedule = "NoSchedule";
    public const string PreferNoSchedule = "PreferNoSchedule";
    public const string NoExecute = "NoExecute";

    public const string Unreachable = "node.kubernetes.io/unreachable";
    public const string NotReady = "node.kubernetes.io/not-ready";
    public const string Unschedulable = "node.kubernetes.io/unschedulable";

    /// <summary>
    /// Whether the toleration tolerates the taint: an empty effect matches every effect, an empty key with Exists matches
    /// every key, Exists ignores the value, Equal (the default) needs it equal.
    /// </summary>
    public static bool Tolerates(V1Toleration toleration, V1Taint taint)
    {
        if (!string.IsNullOrEmpty(toleration.Effect) && toleration.Effect != taint.Effect)
            return false;
        if (!string.IsNullOrEmpty(toleration.Key) && toleration.Key != taint.Key)
            return false;
        return toleration.OperatorProperty switch
        {
            "Exists" => true,
            "Equal" or "" or null => (toleration.Value ?? "") == (taint.Value ?? ""),
            _ => false,
        };
    }

    public static bool Tolerates(IEnumerable<V1Toleration>? tolerations, V1Taint taint) =>
        tolerations?.Any(t => Tolerates(t, taint)) == true;

    /// <summary>The first of the node's taints with one of <paramref name="effects"/> that no toleration tolerates, or null.</summary>
    public static V1Taint? FirstUntolerated(IEnumerable<V1Taint>? taints, IEnumerable<V1Toleration>? tolerations, params string[] effects) =>
        taints?.FirstOrDefault(t => effects.Contains(t.Effect) && !Tolerates(tolerations, t));

    /// <summary>"{key: value}" or "{key}", as upstream's messages show a taint.</summary>
    public static string Describe(V1Taint taint) =>
        string.IsNullOrEmpty(taint.Value) ? $"{{{taint.Key}: }}" : $"{{{taint.Key}: {taint.Value}}}";
}
