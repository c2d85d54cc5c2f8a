using k8s.Models;

namespace Kybernet.Kubelet.Pods;

/// <summary>
/// Where a pod's containers' configuration comes from besides the pod itself: the ConfigMaps, Secrets and
/// Services of the cluster. The pod worker supplies informer caches; tests supply dictionaries.
/// </summary>
public interface IPodObjectSource
{
    /// <summary>The ConfigMap, or null when it does not exist. Other failures throw.</summary>
    V1ConfigMap? GetConfigMap(string namespaceName, string name);

    /// <summary>The Secret, or null when it does not exist. Other failures throw.</summary>
    V1Secret? GetSecret(string namespaceName, string name);

    /// <summary>The Services of one namespace.</summary>
    IReadOnlyList<V1Service> ListServices(string namespaceName);
}
