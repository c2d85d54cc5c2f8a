using System.Net;

namespace Kybernet.Kubelet.Networks;

/// <summary>
/// A pod's network mode, in Docker's terms: <see cref="Bridge"/> (on cni0 with a veth of its own) or <see cref="Host"/>
/// (hostNetwork: the node's own namespace). Docker's container mode is how every container of a pod joins its
/// sandbox's namespace (<see cref="PodContainerNetwork.SharesNetwork"/>); its none mode containerd cannot give a pod.
/// </summary>
public enum NetworkMode
{
    Bridge,
    Host,
}

/// <summary>One container of a pod, and whether it is in the sandbox's network (and pid) namespace, read from /proc.</summary>
public sealed record PodContainerNetwork(string Name, string Id, int? Pid, bool SharesNetwork, bool SharesPid);

/// <summary>An interface inside a pod's namespace, with its peer on the node when it is a veth.</summary>
public sealed record PodInterface(string Name, string? Kind, string? Mac, int Mtu, bool Up, IReadOnlyList<string> Addresses, string? NodePeer, string? NodePeerBridge);

/// <summary>What `kybernet net inspect POD` shows: the sandbox, its namespace and what is in it.</summary>
public sealed record PodNetwork(
    string Namespace,
    string Name,
    string SandboxId,
    NetworkMode Mode,
    IPAddress? Ip,
    int? SandboxPid,
    string? NetnsPath,
    bool SharedPidNamespace,
    IReadOnlyList<PodContainerNetwork> Containers,
    IReadOnlyList<PodInterface> Interfaces,
    IReadOnlyList<string> Routes)
{
    public string FullName => $"{Namespace}/{Name}";
}

/// <summary>One row of `kybernet net ls`: a network of the node, like `docker network ls`.</summary>
public sealed record NodeNetwork(string Name, string Driver, string Subnet, string Gateway, IReadOnlyList<string> Pods);
