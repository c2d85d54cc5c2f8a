using k8s.Models;
using Kybernet.Kubelet.Pods;

namespace Kybernet.Kubelet.Server;

/// <summary>
/// Finds the log of a pod's container for the containerLogs endpoint, as upstream's kubelet does: the container the
/// pod's status names (its current one, or with <c>previous</c> the one that last terminated), its log file from the
/// runtime's ContainerStatus, and whether it still runs (for follow). Refusals carry upstream's messages.
/// </summary>
public sealed class ContainerLogSource(Func<IEnumerable<V1Pod>> pods, CriRuntime runtime)
{
    public sealed record ContainerLog(string Path, Func<CancellationToken, Task<bool>> IsRunning);

    public async Task<ContainerLog> FindAsync(string ns, string podName, string container, bool previous, CancellationToken ct)
    {
        var pod = BoundPods.Find(pods, ns, podName);
        var status = (pod.Status?.ContainerStatuses ?? []).Concat(pod.Status?.InitContainerStatuses ?? []).FirstOrDefault(s => s.Name == container)
            ?? throw new RequestRefusedException(400, $"container \"{container}\" in pod \"{podName}\" is not available");
        string? id;
        if (previous)
            id = status.LastState?.Terminated?.ContainerID
                ?? throw new RequestRefusedException(400, $"previous terminated container \"{container}\" in pod \"{podName}\" not found");
        else if (status.State?.Waiting is { } waiting && status.LastState?.Terminated is null)
            throw new RequestRefusedException(400, $"container \"{container}\" in pod \"{podName}\" is waiting to start: {waiting.Reason}");
        else
            // Waiting after a crash (CrashLoopBackOff): the log is the last attempt's, as upstream.
            id = status.ContainerID is { Length: > 0 } current ? current : status.LastState?.Terminated?.ContainerID;
        if (string.IsNullOrEmpty(id))
            throw new RequestRefusedException(400, $"container \"{container}\" in pod \"{podName}\" is waiting to start: ContainerCreating");
        var runtimeId = RuntimeInstances.RuntimeId(id);
        var found = await runtime.ContainerStatusAsync(runtimeId, ct)
            ?? throw new RequestRefusedException(404, $"container \"{container}\" in pod \"{podName}\" (id {runtimeId}) is gone from the runtime");
        if (string.IsNullOrEmpty(found.LogPath) || !File.Exists(found.LogPath))
            throw new RequestRefusedException(404, $"container \"{container}\" in pod \"{podName}\" has no log file ({found.LogPath})");
        return new ContainerLog(found.LogPath, async c =>
            await runtime.ContainerStatusAsync(runtimeId, c) is { State: Cri.V1.ContainerState.ContainerRunning or Cri.V1.ContainerState.ContainerCreated });
    }
}
