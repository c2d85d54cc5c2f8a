using k8s.Models;
using Kybernet.Client.Informers;

namespace Kybernet.Kubelet.Pods;

/// <summary>ConfigMaps, Secrets and Services for pods' environment and volumes, read from the kubelet's informer caches.</summary>
public sealed class InformerObjectSource(SharedInformer<V1ConfigMap> configMaps, SharedInformer<V1Secret> secrets, SharedInformer<V1Service> services) : IPodObjectSource
{
    public V1ConfigMap? GetConfigMap(string namespaceName, string name) => configMaps.Cache.Get(namespaceName, name);

    public V1Secret? GetSecret(string namespaceName, string name) => secrets.Cache.Get(namespaceName, name);

    public IReadOnlyList<V1Service> ListServices(string namespaceName) => services.Cache.ByIndex(InformerCache<V1Service>.NamespaceIndex, namespaceName);
}
