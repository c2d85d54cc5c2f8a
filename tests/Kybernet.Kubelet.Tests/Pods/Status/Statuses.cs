using k8s.Models;

namespace Kybernet.Kubelet.Tests.Pods.Status;

/// <summary>Short constructors of API container statuses for table tests.</summary>
internal static class Statuses
{
    public static V1ContainerStatus Running(string name, bool ready = true, bool started = true) =>
        new() { Name = name, Ready = ready, Started = started, State = new V1ContainerState { Running = new V1ContainerStateRunning() } };

    public static V1ContainerStatus Exited(string name, int code) =>
        new() { Name = name, Ready = false, State = new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = code } } };

    /// <summary>An init container that finished with 0 (ready, as the status builder marks it).</summary>
    public static V1ContainerStatus Completed(string name)
    {
        var status = Exited(name, 0);
        status.Ready = true;
        return status;
    }

    public static V1ContainerStatus Waiting(string name) =>
        new() { Name = name, State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "ContainerCreating" } } };

    /// <summary>Waiting to be restarted after exiting with <paramref name="code"/> (CrashLoopBackOff).</summary>
    public static V1ContainerStatus Restarting(string name, int code) =>
        new()
        {
            Name = name,
            State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "CrashLoopBackOff" } },
            LastState = new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = code } },
        };

    public static V1PodSpec Spec(string restartPolicy, string[] containers, string[]? init = null, string[]? sidecars = null) => new()
    {
        RestartPolicy = restartPolicy,
        Containers = containers.Select(c => new V1Container { Name = c, Image = "busybox" }).ToList(),
        InitContainers = (sidecars ?? []).Select(c => new V1Container { Name = c, Image = "busybox", RestartPolicy = "Always" })
            .Concat((init ?? []).Select(c => new V1Container { Name = c, Image = "busybox" }))
            .ToList(),
    };
}
