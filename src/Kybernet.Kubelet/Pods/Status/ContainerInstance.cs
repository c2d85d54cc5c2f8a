namespace Kybernet.Kubelet.Pods.Status;

/// <summary>
/// One instance of a container as read from the runtime. <paramref name="Id"/> is written as the API shows it
/// ("containerd://0123..."), <paramref name="ImageRef"/> is the image's digest reference (status imageID).
/// <paramref name="Reason"/> is the runtime's (Completed, Error, OOMKilled); when empty the exit code decides.
/// </summary>
public sealed record ContainerInstance(
    string Id,
    ContainerRunState State,
    string Image,
    string ImageRef,
    DateTimeOffset? StartedAt = null,
    DateTimeOffset? FinishedAt = null,
    int ExitCode = 0,
    string? Reason = null,
    string? Message = null);
