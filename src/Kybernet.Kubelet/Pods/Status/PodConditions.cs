using k8s.Models;

namespace Kybernet.Kubelet.Pods.Status;

/// <summary>
/// The conditions the kubelet owns (upstream's status/generate.go): PodReadyToStartContainers, Initialized,
/// ContainersReady, Ready (with readiness gates) and PodScheduled, with upstream's reasons and messages.
/// </summary>
public static class PodConditions
{
    public const string PodScheduled = "PodScheduled";
    public const string PodReadyToStartContainers = "PodReadyToStartContainers";
    public const string Initialized = "Initialized";
    public const string ContainersReady = "ContainersReady";
    public const string Ready = "Ready";

    public const string ContainersNotReady = "ContainersNotReady";
    public const string ContainersNotInitialized = "ContainersNotInitialized";
    public const string ReadinessGatesNotReady = "ReadinessGatesNotReady";
    public const string PodCompleted = "PodCompleted";
    public const string PodFailed = "PodFailed";

    /// <summary>The condition types the kubelet writes; any other (readiness gates' conditions) is kept from the old status.</summary>
    public static bool OwnedByKubelet(string type) => type is PodScheduled or PodReadyToStartContainers or Initialized or ContainersReady or Ready;

    public static V1PodCondition ReadyToStartContainers(bool sandboxReady) =>
        new() { Type = PodReadyToStartContainers, Status = sandboxReady ? "True" : "False" };

    public static V1PodCondition InitializedCondition(V1PodSpec spec, IReadOnlyList<V1ContainerStatus> statuses, string phase)
    {
        var unknown = new List<string>();
        var incomplete = new List<string>();
        foreach (var container in spec.InitContainers ?? [])
        {
            var status = statuses.FirstOrDefault(s => s.Name == container.Name);
            if (status is null)
            {
                unknown.Add(container.Name);
                continue;
            }
            var done = Sidecars.IsRestartableInit(container) ? status.Started == true : status.Ready;
            if (!done)
                incomplete.Add(container.Name);
        }
        if (phase == PodPhases.Succeeded && unknown.Count == 0)
            return new V1PodCondition { Type = Initialized, Status = "True", Reason = PodCompleted };
        // An app container ran: the pod was initialized even if a sidecar is restarting now.
        if (PodPhases.AnyRegularContainerStarted(spec, statuses))
            return new V1PodCondition { Type = Initialized, Status = "True" };
        var message = Join(("containers with unknown status", unknown), ("containers with incomplete status", incomplete));
        return message.Length > 0
            ? new V1PodCondition { Type = Initialized, Status = "False", Reason = ContainersNotInitialized, Message = message }
            : new V1PodCondition { Type = Initialized, Status = "True" };
    }

    public static V1PodCondition ContainersReadyCondition(V1PodSpec spec, IReadOnlyList<V1ContainerStatus> statuses, string phase)
    {
        var unknown = new List<string>();
        var unready = new List<string>();
        var counted = (spec.InitContainers ?? []).Where(Sidecars.IsRestartableInit).Concat(spec.Containers);
        foreach (var container in counted)
        {
            var status = statuses.FirstOrDefault(s => s.Name == container.Name);
            if (status is null)
                unknown.Add(container.Name);
            else if (!status.Ready)
                unready.Add(container.Name);
        }
        if (phase == PodPhases.Succeeded && unknown.Count == 0)
            return new V1PodCondition { Type = ContainersReady, Status = "False", Reason = PodCompleted };
        if (phase == PodPhases.Failed)
            return new V1PodCondition { Type = ContainersReady, Status = "False", Reason = PodFailed };
        var message = Join(("containers with unknown status", unknown), ("containers with unready status", unready));
        return message.Length > 0
            ? new V1PodCondition { Type = ContainersReady, Status = "False", Reason = ContainersNotReady, Message = message }
            : new V1PodCondition { Type = ContainersReady, Status = "True" };
    }

    /// <summary>Ready: ContainersReady, and every readiness gate's condition (from <paramref name="conditions"/>) True.</summary>
    public static V1PodCondition ReadyCondition(V1PodSpec spec, IReadOnlyList<V1PodCondition> conditions, IReadOnlyList<V1ContainerStatus> statuses, string phase)
    {
        var containersReady = ContainersReadyCondition(spec, statuses, phase);
        if (containersReady.Status != "True")
            return new V1PodCondition { Type = Ready, Status = containersReady.Status, Reason = containersReady.Reason, Message = containersReady.Message };
        var unready = new List<string>();
        foreach (var gate in spec.ReadinessGates ?? [])
        {
            var condition = conditions.FirstOrDefault(c => c.Type == gate.ConditionType);
            if (condition is null)
                unready.Add($"corresponding condition of pod readiness gate \"{gate.ConditionType}\" does not exist.");
            else if (condition.Status != "True")
                unready.Add($"the status of pod readiness gate \"{gate.ConditionType}\" is not \"True\", but {condition.Status}");
        }
        return unready.Count > 0
            ? new V1PodCondition { Type = Ready, Status = "False", Reason = ReadinessGatesNotReady, Message = string.Join(", ", unready) }
            : new V1PodCondition { Type = Ready, Status = "True" };
    }

    /// <summary>Go's fmt of a []string is "[a b]"; parts are joined with ", ".</summary>
    private static string Join(params (string Label, List<string> Names)[] parts) =>
        string.Join(", ", parts.Where(p => p.Names.Count > 0).Select(p => $"{p.Label}: [{string.Join(' ', p.Names)}]"));
}
