using k8s.Models;

namespace Kybernet.Kubelet.Pods;

/// <summary>
/// What the kubelet knows about a pod that is not in its spec: the node's addresses and allocatable resources
/// (limits default to them in the downward API), and the pod's IPs once its sandbox has them.
/// </summary>
public sealed record PodRuntimeFacts(
    IReadOnlyList<string> HostIPs,
    IReadOnlyList<string> PodIPs,
    IDictionary<string, ResourceQuantity>? NodeAllocatable = null)
{
    public static readonly PodRuntimeFacts None = new([], []);
}
