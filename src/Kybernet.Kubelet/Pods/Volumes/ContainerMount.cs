namespace Kybernet.Kubelet.Pods.Volumes;

/// <summary>How a mount's sub-mounts propagate (CRI's MountPropagation, same numbers).</summary>
public enum MountPropagation
{
    Private = 0,
    HostToContainer = 1,
    Bidirectional = 2,
}

/// <summary>One mount of a container: a host path at a container path.</summary>
public sealed record ContainerMount(string ContainerPath, string HostPath, bool ReadOnly, MountPropagation Propagation);
