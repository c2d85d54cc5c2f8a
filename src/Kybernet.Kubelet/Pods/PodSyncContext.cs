using k8s;
using Microsoft.Extensions.Logging;

namespace Kybernet.Kubelet.Pods;

/// <summary>May a container that exited be started again now (CrashLoopBackOff), and if not, how long until it may.</summary>
public interface IRestartBackOff
{
    /// <summary>Null: start it now (and the next back-off grows); otherwise wait that long.</summary>
    TimeSpan? Wait(string podUid, string container, DateTimeOffset startedAt, DateTimeOffset finishedAt, DateTimeOffset now);

    /// <summary>The pod is gone: forget its containers.</summary>
    void Forget(string podUid);
}

/// <summary>Liveness and readiness as the probe workers last saw them, per container instance.</summary>
public interface IPodProbes
{
    /// <summary>Starts (or keeps) the probe workers of the pod's running containers; stops those of containers gone.</summary>
    void Track(k8s.Models.V1Pod pod, PodRuntimeState state);

    /// <summary>The container instance failed its liveness probe (restart it); the message for the Killing event.</summary>
    string? LivenessFailure(string containerId);

    bool IsReady(string containerId);

    bool IsStarted(string containerId);

    void Forget(string podUid);
}

/// <summary>Writes a pod's status (pods/status) when what it would say changed.</summary>
public interface IPodStatusWriter
{
    Task WriteAsync(k8s.Models.V1Pod pod, PodRuntimeState state, ContainerWaits waits, CancellationToken ct);
}

/// <summary>Everything a pod's sync reads and acts through (one per kubelet, shared by every pod's worker).</summary>
public sealed record PodSyncContext(
    IKubernetes Client,
    CriRuntime Runtime,
    string NodeName,
    SandboxSettings Sandboxes,
    IPodEnvironment Environment,
    IPodVolumes Volumes,
    IPodDns Dns,
    IPodEvents Events,
    IRestartBackOff BackOff,
    IPodProbes Probes,
    IPodStatusWriter Status,
    TimeProvider Time,
    ILogger Log);
