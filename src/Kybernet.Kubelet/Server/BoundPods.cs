using k8s.Models;

namespace Kybernet.Kubelet.Server;

/// <summary>The pods bound to this node, as the kubelet API's endpoints look one up (logs, exec, attach, port-forward, proxy).</summary>
public static class BoundPods
{
    public static V1Pod Find(Func<IEnumerable<V1Pod>> pods, string ns, string name) =>
        pods().FirstOrDefault(p => p.Metadata.NamespaceProperty == ns && p.Metadata.Name == name)
        ?? throw new RequestRefusedException(404, $"pod \"{name}\" in namespace \"{ns}\" not found");
}
