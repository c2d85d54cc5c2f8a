namespace Kybernet.Kubelet.Pods.Status;

/// <summary>
/// What the pod worker read about a pod's sandbox and containers, from which its API status is computed.
/// </summary>
/// <param name="SandboxReady">A ready sandbox with its network exists (PodReadyToStartContainers).</param>
/// <param name="PodIPs">The sandbox's addresses, primary first.</param>
/// <param name="HostIPs">The node's addresses, primary first.</param>
/// <param name="PodIsTerminal">The worker decided the pod is done (it will not start containers again).</param>
public sealed record PodRuntimeSnapshot(
    IReadOnlyList<ContainerSnapshot> Containers,
    bool SandboxReady,
    IReadOnlyList<string> PodIPs,
    IReadOnlyList<string> HostIPs,
    bool PodIsTerminal = false)
{
    public ContainerSnapshot? Find(string name) => Containers.FirstOrDefault(c => c.Name == name);
}
