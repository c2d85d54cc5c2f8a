using System.Collections.Concurrent;

namespace Kybernet.Kubelet.Pods;

/// <summary>Why a container is not running yet, as status.containerStatuses[].state.waiting shows it.</summary>
public sealed record WaitingReason(string Reason, string Message);

/// <summary>
/// What the runtime cannot tell: why each container of a pod is waiting (ErrImagePull, CreateContainerConfigError,
/// CrashLoopBackOff...), kept by the pod's worker between syncs and read by the status writer. Cleared once it runs.
/// </summary>
public sealed class ContainerWaits
{
    private readonly ConcurrentDictionary<string, WaitingReason> _reasons = new();

    public void Set(string container, string reason, string message) => _reasons[container] = new WaitingReason(reason, message);

    public void Clear(string container) => _reasons.TryRemove(container, out _);

    public WaitingReason? Of(string container) => _reasons.TryGetValue(container, out var r) ? r : null;

    /// <summary>The pod could not get a sandbox: its message, for the status and the event.</summary>
    public string? SandboxError { get; set; }
}
