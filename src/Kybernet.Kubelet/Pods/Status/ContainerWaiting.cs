namespace Kybernet.Kubelet.Pods.Status;

/// <summary>
/// Why the pod worker could not start a container on its last sync (upstream's reason cache): CrashLoopBackOff,
/// ErrImagePull, ImagePullBackOff, CreateContainerConfigError, ... with the message shown beside it.
/// </summary>
public sealed record ContainerWaiting(string Reason, string? Message)
{
    public const string ContainerCreating = "ContainerCreating";
    public const string PodInitializing = "PodInitializing";
    public const string CrashLoopBackOff = "CrashLoopBackOff";
    public const string ErrImagePull = "ErrImagePull";
    public const string ImagePullBackOff = "ImagePullBackOff";
    public const string CreateContainerConfigError = "CreateContainerConfigError";
    public const string CreateContainerError = "CreateContainerError";
}
