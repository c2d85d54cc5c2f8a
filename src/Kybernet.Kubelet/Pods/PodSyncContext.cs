using k8s;
using Microsoft.Extensions.Logging;

namespace Kybernet.Kubelet.Pods;

/// <summary>core/v1 Events about a pod, in upstream's words.</summary>
public interface IPodEvents
{
    void Normal(k8s.Models.V1Pod pod, string reason, string message);

    void Warning(k8s.Models.V1Pod pod, string reason, string message);
}

/// <summary>Everything a pod's sync reads and acts through (one per kubelet, shared by every pod's worker).</summary>
public sealed record PodSyncContext(
    IKubernetes Client,
    CriRuntime Runtime,
    string RuntimeName,
    SandboxSettings Sandboxes,
    PodSetup Setup,
    IPodEvents Events,
    CrashLoopBackOff BackOff,
    ProbeManager Probes,
    PreStopHook PreStop,
    PodStatusWriter Status,
    TimeProvider Time,
    ILogger Log);
