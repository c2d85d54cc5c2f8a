using k8s.Models;

namespace Kybernet.Kubelet.Pods.Status;

/// <summary>
/// A pod's phase from its container statuses (upstream's getPhase): Pending while init containers have not all
/// succeeded or a container waits to start for the first time; Running while one runs (or all are restarting under
/// Always/OnFailure); Succeeded or Failed once all stopped and none will restart.
/// </summary>
public static class PodPhases
{
    public const string Pending = "Pending";
    public const string Running = "Running";
    public const string Succeeded = "Succeeded";
    public const string Failed = "Failed";

    public static bool IsTerminal(string? phase) => phase is Succeeded or Failed;

    public static string Of(V1PodSpec spec, IReadOnlyList<V1ContainerStatus> statuses, bool podIsTerminal)
    {
        var restartPolicy = spec.RestartPolicy ?? "Always";
        var pendingInitialization = 0;
        var failedInitialization = 0;
        var initContainers = spec.InitContainers ?? [];

        foreach (var container in initContainers.Where(c => !Sidecars.IsRestartableInit(c)))
        {
            var status = Find(statuses, container.Name);
            if (status?.State is not { } state)
            {
                pendingInitialization++;
                continue;
            }
            if (state.Running is not null)
                pendingInitialization++;
            else if (state.Terminated is not null)
            {
                if (state.Terminated.ExitCode != 0)
                    failedInitialization++;
            }
            else if (state.Waiting is not null)
            {
                if (status.LastState?.Terminated is { } last)
                {
                    if (last.ExitCode != 0)
                        failedInitialization++;
                }
                else
                    pendingInitialization++;
            }
            else
                pendingInitialization++;
        }

        int unknown = 0, running = 0, waiting = 0, stopped = 0, succeeded = 0;

        // Sidecars count as running containers; a stopped sidecar does not decide the phase.
        foreach (var container in initContainers.Where(Sidecars.IsRestartableInit))
        {
            var status = Find(statuses, container.Name);
            if (status?.State is not { } state)
            {
                unknown++;
                continue;
            }
            if (state.Running is not null)
            {
                if (status.Started != true)
                    pendingInitialization++;
                running++;
            }
            else if (state.Terminated is not null)
                continue;
            else if (state.Waiting is not null)
            {
                if (status.LastState?.Terminated is null)
                {
                    pendingInitialization++;
                    waiting++;
                }
            }
            else
            {
                pendingInitialization++;
                unknown++;
            }
        }

        foreach (var container in spec.Containers)
        {
            var status = Find(statuses, container.Name);
            if (status?.State is not { } state)
            {
                unknown++;
                continue;
            }
            if (state.Running is not null)
                running++;
            else if (state.Terminated is not null)
            {
                stopped++;
                if (state.Terminated.ExitCode == 0)
                    succeeded++;
            }
            else if (state.Waiting is not null)
            {
                if (status.LastState?.Terminated is not null)
                    stopped++;
                else
                    waiting++;
            }
            else
                unknown++;
        }

        if (failedInitialization > 0 && restartPolicy == "Never")
            return Failed;

        // Once an app container has run, restarting sidecars do not send the pod back to Pending.
        if ((pendingInitialization > 0 && !AnyRegularContainerStarted(spec, statuses)) || waiting > 0)
            return Pending;
        if (running > 0 && unknown == 0)
            return Running;
        if (running == 0 && stopped > 0 && unknown == 0)
        {
            if (podIsTerminal)
                return stopped == succeeded ? Succeeded : Failed;
            if (restartPolicy == "Always")
                return Running; // all restarting
            if (stopped == succeeded)
                return Succeeded;
            return restartPolicy == "Never" ? Failed : Running;
        }
        return Pending;
    }

    /// <summary>Some app container runs or has run: the pod was initialized at some point.</summary>
    public static bool AnyRegularContainerStarted(V1PodSpec spec, IReadOnlyList<V1ContainerStatus> statuses)
    {
        var names = spec.Containers.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        return statuses.Any(s => names.Contains(s.Name) && (s.State?.Running is not null || s.State?.Terminated is not null));
    }

    private static V1ContainerStatus? Find(IReadOnlyList<V1ContainerStatus> statuses, string name) =>
        statuses.FirstOrDefault(s => s.Name == name);
}
