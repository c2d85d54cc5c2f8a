using System.Text;
using k8s.Models;
using Kybernet.Kubelet.Pods;

namespace Kybernet.Kubelet.Tests.Pods;

/// <summary>ConfigMaps, Secrets and Services in dictionaries, for the pure tests.</summary>
internal sealed class FakePodObjects : IPodObjectSource
{
    public Dictionary<(string Ns, string Name), V1ConfigMap> ConfigMaps { get; } = [];
    public Dictionary<(string Ns, string Name), V1Secret> Secrets { get; } = [];
    public List<V1Service> Services { get; } = [];

    public FakePodObjects WithConfigMap(string ns, string name, Dictionary<string, string> data)
    {
        ConfigMaps[(ns, name)] = new V1ConfigMap { Metadata = new() { Name = name, NamespaceProperty = ns }, Data = data };
        return this;
    }

    public FakePodObjects WithSecret(string ns, string name, Dictionary<string, string> data)
    {
        Secrets[(ns, name)] = new V1Secret
        {
            Metadata = new() { Name = name, NamespaceProperty = ns },
            Data = data.ToDictionary(p => p.Key, p => Encoding.UTF8.GetBytes(p.Value)),
        };
        return this;
    }

    public FakePodObjects WithService(string ns, string name, string clusterIP, params V1ServicePort[] ports)
    {
        Services.Add(new V1Service { Metadata = new() { Name = name, NamespaceProperty = ns }, Spec = new() { ClusterIP = clusterIP, Ports = ports } });
        return this;
    }

    public V1ConfigMap? GetConfigMap(string namespaceName, string name) => ConfigMaps.GetValueOrDefault((namespaceName, name));

    public V1Secret? GetSecret(string namespaceName, string name) => Secrets.GetValueOrDefault((namespaceName, name));

    public IReadOnlyList<V1Service> ListServices(string namespaceName) => Services.Where(s => s.Metadata.NamespaceProperty == namespaceName).ToList();
}

internal static class TestPods
{
    public static V1Pod Pod(string name = "web", string ns = "shop", params V1Container[] containers) => new()
    {
        Metadata = new() { Name = name, NamespaceProperty = ns, Uid = "0e7c1a2b-uid-" + name },
        Spec = new() { NodeName = "node-1", ServiceAccountName = "default", Containers = containers.Length > 0 ? containers : [new V1Container { Name = "app" }] },
    };
}
