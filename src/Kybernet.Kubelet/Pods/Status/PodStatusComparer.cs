using k8s;
using k8s.Models;

namespace Kybernet.Kubelet.Pods.Status;

/// <summary>
/// "Did it change": the pod worker writes status only when the computed status differs from the stored one.
/// Statuses are compared as the API would store them (times to the second, condition order ignored).
/// </summary>
public static class PodStatusComparer
{
    public static bool Changed(V1PodStatus? stored, V1PodStatus computed) => !Equal(stored, computed);

    public static bool Equal(V1PodStatus? a, V1PodStatus? b)
    {
        if (a is null || b is null)
            return a is null && b is null;
        return Canonical(a) == Canonical(b);
    }

    private static string Canonical(V1PodStatus status)
    {
        var copy = KubernetesJson.Deserialize<V1PodStatus>(KubernetesJson.Serialize(status));
        copy.Conditions = copy.Conditions?.OrderBy(c => c.Type, StringComparer.Ordinal).ToList();
        return KubernetesJson.Serialize(copy);
    }
}
