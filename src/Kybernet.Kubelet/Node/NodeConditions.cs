using k8s.Models;

namespace Kybernet.Kubelet.Node;

/// <summary>
/// The conditions the kubelet owns, with upstream's reasons and messages (setters.go), plus NetworkUnavailable for the
/// overlay in flannel's way: absent until the overlay has the node's subnet, then False. A condition keeps its
/// lastTransitionTime while its status stays; every written condition carries the heartbeat of the write.
/// </summary>
public static class NodeConditions
{
    public const string Ready = "Ready";
    public const string MemoryPressure = "MemoryPressure";
    public const string DiskPressure = "DiskPressure";
    public const string PidPressure = "PIDPressure";
    public const string NetworkUnavailable = "NetworkUnavailable";

    public const string ReadyReason = "KubeletReady";
    public const string ReadyMessage = "kubelet is posting ready status";
    public const string NotReadyReason = "KubeletNotReady";
    public const string OverlayUpReason = "KybernetOverlayIsUp";
    public const string OverlayUpMessage = "Kybernet overlay is running on this node";

    public static List<V1NodeCondition> Build(NodeSignals signals, IEnumerable<V1NodeCondition>? previous, DateTime now)
    {
        var before = previous?.Where(c => c.Type is not null).GroupBy(c => c.Type).ToDictionary(g => g.Key, g => g.First()) ?? [];

        V1NodeCondition Condition(string type, bool isTrue, string reason, string message)
        {
            var status = isTrue ? "True" : "False";
            var transition = before.TryGetValue(type, out var old) && old.Status == status && old.LastTransitionTime is { } t ? t : now;
            return new V1NodeCondition
            {
                Type = type,
                Status = status,
                Reason = reason,
                Message = message,
                LastHeartbeatTime = now,
                LastTransitionTime = transition,
            };
        }

        var conditions = new List<V1NodeCondition>();
        if (signals.OverlayHasSubnet == true)
            conditions.Add(Condition(NetworkUnavailable, false, OverlayUpReason, OverlayUpMessage));
        conditions.Add(Condition(MemoryPressure, false, "KubeletHasSufficientMemory", "kubelet has sufficient memory available"));
        conditions.Add(Condition(DiskPressure, false, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"));
        conditions.Add(Condition(PidPressure, false, "KubeletHasSufficientPID", "kubelet has sufficient PID available"));
        conditions.Add(signals.RuntimeProblems.Count == 0
            ? Condition(Ready, true, ReadyReason, ReadyMessage)
            : Condition(Ready, false, NotReadyReason, string.Join(", ", signals.RuntimeProblems)));
        return conditions;
    }
}
