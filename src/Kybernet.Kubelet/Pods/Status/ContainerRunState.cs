namespace Kybernet.Kubelet.Pods.Status;

/// <summary>A container instance's state as the runtime reports it (CRI's CONTAINER_CREATED/RUNNING/EXITED/UNKNOWN).</summary>
public enum ContainerRunState
{
    Created,
    Running,
    Exited,
    Unknown,
}
