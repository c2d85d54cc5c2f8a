using k8s.Models;

namespace Kybernet.Kubelet.Pods.Status;

/// <summary>
/// The API container statuses of a pod from the runtime snapshot and the previous status (upstream's
/// convertToAPIContainerStatuses): a container not created yet waits (ContainerCreating, or PodInitializing while
/// init containers run); an exited one is Terminated with Completed/Error/OOMKilled; one that failed to start, or is
/// backing off, waits with that reason and keeps its last termination as lastState.
/// </summary>
public static class ContainerStatuses
{
    public const string ContainerStatusUnknown = "ContainerStatusUnknown";

    /// <summary>Init container statuses, in spec order.</summary>
    public static List<V1ContainerStatus> ForInit(V1Pod pod, PodRuntimeSnapshot snapshot)
    {
        var spec = pod.Spec.InitContainers ?? [];
        return spec.Select(c => Build(pod, c, pod.Status?.InitContainerStatuses, snapshot, hasInit: true, isInit: true)).ToList();
    }

    /// <summary>Regular container statuses, sorted by name as upstream sorts them.</summary>
    public static List<V1ContainerStatus> ForContainers(V1Pod pod, PodRuntimeSnapshot snapshot)
    {
        var hasInit = pod.Spec.InitContainers is { Count: > 0 };
        return pod.Spec.Containers
            .Select(c => Build(pod, c, pod.Status?.ContainerStatuses, snapshot, hasInit, isInit: false))
            .OrderBy(s => s.Name, StringComparer.Ordinal)
            .ToList();
    }

    private static V1ContainerStatus Build(V1Pod pod, V1Container container, IList<V1ContainerStatus>? previous, PodRuntimeSnapshot snapshot, bool hasInit, bool isInit)
    {
        var old = previous?.FirstOrDefault(s => s.Name == container.Name);
        var seen = snapshot.Find(container.Name);
        var current = seen?.Current;

        V1ContainerStatus status;
        if (current is null)
        {
            status = new V1ContainerStatus
            {
                Name = container.Name,
                Image = container.Image,
                ImageID = "",
                State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = hasInit ? ContainerWaiting.PodInitializing : ContainerWaiting.ContainerCreating } },
            };
            if (old is not null)
            {
                if (old.State?.Terminated is not null)
                    status = Copy(old);
                else
                {
                    status.RestartCount = old.RestartCount;
                    status.LastState = old.LastState;
                }
            }
        }
        else
        {
            status = FromInstance(container.Name, current, old, seen!.RestartCount);
            if (seen.Previous is { } before)
                status.LastState = FromInstance(container.Name, before, null, seen.RestartCount).State;
            else if (old is not null && old.ContainerID == current.Id)
                status.LastState = old.LastState; // the runtime dropped the older instance; what we showed stays
        }

        // A container the worker failed to start (or is backing off) waits, with the reason it gave.
        if (seen?.Waiting is { } waiting && ShouldBeRestarted(pod, container, current, isInit))
        {
            if (status.State?.Terminated is not null)
                status.LastState = status.State;
            status.State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = waiting.Reason, Message = waiting.Message } };
        }

        ApplyProbes(container, status, seen, isInit);
        return status;
    }

    private static V1ContainerStatus FromInstance(string name, ContainerInstance instance, V1ContainerStatus? old, int restartCount)
    {
        var status = new V1ContainerStatus
        {
            Name = name,
            RestartCount = restartCount,
            Image = instance.Image,
            ImageID = instance.ImageRef,
            ContainerID = instance.Id,
            State = new V1ContainerState(),
        };
        switch (instance.State)
        {
            case ContainerRunState.Running:
                status.State.Running = new V1ContainerStateRunning { StartedAt = ApiTime.Of(instance.StartedAt) };
                break;
            case ContainerRunState.Exited:
                status.State.Terminated = new V1ContainerStateTerminated
                {
                    ExitCode = instance.ExitCode,
                    Reason = string.IsNullOrEmpty(instance.Reason) ? (instance.ExitCode == 0 ? "Completed" : "Error") : instance.Reason,
                    Message = string.IsNullOrEmpty(instance.Message) ? null : instance.Message,
                    StartedAt = ApiTime.Of(instance.StartedAt),
                    FinishedAt = ApiTime.Of(instance.FinishedAt),
                    ContainerID = instance.Id,
                };
                break;
            case ContainerRunState.Unknown when old?.State?.Running is not null:
                // It was running and the runtime lost it: it ran and ended, which differs from never having run.
                status.State.Terminated = new V1ContainerStateTerminated
                {
                    ExitCode = 137,
                    Reason = ContainerStatusUnknown,
                    Message = "The container could not be located when the pod was terminated",
                };
                status.RestartCount = old.RestartCount + 1;
                break;
            default:
                // Created but not started, or unknown: waiting, without a reason.
                status.State.Waiting = new V1ContainerStateWaiting();
                break;
        }
        return status;
    }

    /// <summary>Upstream's ShouldContainerBeRestarted, for the newest instance of the container.</summary>
    public static bool ShouldBeRestarted(V1Pod pod, V1Container container, ContainerInstance? current, bool isInit)
    {
        if (pod.Metadata?.DeletionTimestamp is not null)
            return false;
        if (current is null)
            return true;
        if (current.State == ContainerRunState.Running)
            return false;
        if (current.State is ContainerRunState.Unknown or ContainerRunState.Created)
            return true;
        // An init container that succeeded is done for good.
        if (isInit && current.ExitCode == 0)
            return false;
        var policy = isInit && Sidecars.IsRestartableInit(container) ? "Always" : pod.Spec.RestartPolicy ?? "Always";
        if (policy == "Never")
            return false;
        return policy != "OnFailure" || current.ExitCode != 0;
    }

    /// <summary>started and ready, as upstream's prober manager fills them in.</summary>
    private static void ApplyProbes(V1Container container, V1ContainerStatus status, ContainerSnapshot? seen, bool isInit)
    {
        var running = status.State?.Running is not null;
        var started = running && (seen?.Started ?? false);
        status.Started = started;
        if (isInit && !Sidecars.IsRestartableInit(container))
        {
            status.Ready = status.State?.Terminated is { ExitCode: 0 };
            return;
        }
        status.Ready = started && (seen?.Ready ?? false);
    }

    private static V1ContainerStatus Copy(V1ContainerStatus status) =>
        k8s.KubernetesJson.Deserialize<V1ContainerStatus>(k8s.KubernetesJson.Serialize(status));
}
