namespace Kybernet.Kubelet.Node;

/// <summary>
/// Where the node's pod network comes from and goes: the overlay's subnet.env, polled every
/// <see cref="PollInterval"/>, and the writer of the conflist containerd reads. With it, <see cref="KubeletNode"/>
/// keeps the conflist and reports NetworkUnavailable False once the subnet is known.
/// </summary>
public sealed record NodeNetwork(string SubnetEnvPath, CniConfigWriter Writer)
{
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);
}
