using Kybernet.Kubelet.Cri.V1;

namespace Kybernet.Kubelet.Pods;

/// <summary>
/// What the runtime holds for one pod, read from its own lists by the pod's uid label (upstream's kubecontainer.PodStatus):
/// every sandbox and every container instance, newest first. The kubelet keeps no state of its own, so a restarted
/// kubelet sees exactly what was left running.
/// </summary>
public sealed record PodRuntimeState(IReadOnlyList<PodSandboxStatus> Sandboxes, IReadOnlyList<ContainerStatus> Containers)
{
    public static readonly PodRuntimeState Empty = new([], []);

    /// <summary>The newest sandbox that is ready (its pause process runs and its network is set up), if any.</summary>
    public PodSandboxStatus? ReadySandbox => Sandboxes.FirstOrDefault(s => s.State == PodSandboxState.SandboxReady);

    /// <summary>The next sandbox's attempt number: one more than any before.</summary>
    public uint NextSandboxAttempt => Sandboxes.Count == 0 ? 0 : Sandboxes.Max(s => s.Metadata.Attempt) + 1;

    /// <summary>The newest instance of the named container (of any sandbox), if it ever ran.</summary>
    public ContainerStatus? Latest(string container) =>
        Containers.Where(c => c.Metadata.Name == container).MaxBy(c => (c.Metadata.Attempt, c.CreatedAt));

    /// <summary>The instance before the newest (status.lastState, `kubectl logs --previous`).</summary>
    public ContainerStatus? Previous(string container) =>
        Containers.Where(c => c.Metadata.Name == container).OrderByDescending(c => (c.Metadata.Attempt, c.CreatedAt)).Skip(1).FirstOrDefault();

    public IEnumerable<ContainerStatus> Running => Containers.Where(c => c.State == ContainerState.ContainerRunning);

    public static async Task<PodRuntimeState> ReadAsync(CriRuntime runtime, string podUid, CancellationToken ct)
    {
        var sandboxes = new List<PodSandboxStatus>();
        foreach (var sandbox in await runtime.ListSandboxesAsync(podUid, ct))
            if (await runtime.SandboxStatusAsync(sandbox.Id, ct) is { } status)
                sandboxes.Add(status);
        var containers = new List<ContainerStatus>();
        foreach (var container in await runtime.ListContainersAsync(podUid, ct))
            if (await runtime.ContainerStatusAsync(container.Id, ct) is { } status)
                containers.Add(status);
        return new PodRuntimeState(
            [.. sandboxes.OrderByDescending(s => s.CreatedAt)],
            [.. containers.OrderByDescending(c => c.CreatedAt)]);
    }
}
