namespace Kybernet.Kubelet.Runtime;

/// <summary>How much a stop of containerd takes down.</summary>
public enum ContainerdStop
{
    /// <summary>Pods, shims, mounts, cgroups, state: nothing is left (lab down, tests).</summary>
    Everything,

    /// <summary>Only the daemon: shims keep the containers running, and a containerd started again finds them.</summary>
    DaemonOnly,
}
