using Kybernet.Kubelet.Cri.V1;
using Kybernet.Kubelet.Pods.Status;

namespace Kybernet.Kubelet.Pods;

/// <summary>A container instance as CRI reports it, in the runtime-neutral shape status and probes use (ids in API form, "containerd://…").</summary>
public static class RuntimeInstances
{
    public static string ApiId(string runtimeName, string containerId) => $"{runtimeName}://{containerId}";

    /// <summary>The id the runtime knows a container by, from its API form ("containerd://abc" is "abc" to CRI).</summary>
    public static string RuntimeId(string apiId) =>
        apiId.IndexOf("://", StringComparison.Ordinal) is var scheme and >= 0 ? apiId[(scheme + 3)..] : apiId;

    public static ContainerInstance? Of(ContainerStatus? c, string runtimeName) => c is null ? null : new ContainerInstance(
        ApiId(runtimeName, c.Id),
        c.State switch
        {
            ContainerState.ContainerCreated => ContainerRunState.Created,
            ContainerState.ContainerRunning => ContainerRunState.Running,
            ContainerState.ContainerExited => ContainerRunState.Exited,
            _ => ContainerRunState.Unknown,
        },
        c.Image?.Image ?? "",
        c.ImageRef,
        Time(c.StartedAt),
        Time(c.FinishedAt),
        c.ExitCode,
        string.IsNullOrEmpty(c.Reason) ? null : c.Reason,
        string.IsNullOrEmpty(c.Message) ? null : c.Message);

    /// <summary>CRI's timestamps are Unix nanoseconds; 0 is "not yet".</summary>
    public static DateTimeOffset? Time(long unixNanoseconds) => unixNanoseconds > 0 ? DateTimeOffset.UnixEpoch.AddTicks(unixNanoseconds / 100) : null;
}
