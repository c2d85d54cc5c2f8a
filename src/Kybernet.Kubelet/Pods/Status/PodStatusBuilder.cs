using k8s;
using k8s.Models;

namespace Kybernet.Kubelet.Pods.Status;

/// <summary>
/// Computes a pod's API status from its spec, its last status (pod.Status) and what the pod worker read from the
/// runtime, as upstream's generateAPIPodStatus and status manager do: phase (never leaving Succeeded/Failed),
/// container statuses, kubelet-owned conditions (others, such as readiness gates' conditions, are kept), condition
/// lastTransitionTime kept while the condition's status is unchanged, startTime kept once set, pod and host IPs,
/// QoS class.
/// </summary>
public static class PodStatusBuilder
{
    public static V1PodStatus Build(V1Pod pod, PodRuntimeSnapshot snapshot, DateTimeOffset now)
    {
        var old = pod.Status ?? new V1PodStatus();
        // Start from a copy so fields this kubelet does not own (nominatedNodeName, resize, ...) survive.
        var status = KubernetesJson.Deserialize<V1PodStatus>(KubernetesJson.Serialize(old));

        status.InitContainerStatuses = pod.Spec.InitContainers is { Count: > 0 } ? ContainerStatuses.ForInit(pod, snapshot) : null;
        status.ContainerStatuses = ContainerStatuses.ForContainers(pod, snapshot);
        var all = (status.ContainerStatuses ?? []).Concat(status.InitContainerStatuses ?? []).ToList();

        var phase = PodPhases.Of(pod.Spec, all, snapshot.PodIsTerminal);
        // A pod that finished stays finished, whatever the runtime says later.
        if (!PodPhases.IsTerminal(phase) && PodPhases.IsTerminal(old.Phase))
            phase = old.Phase!;
        if (phase != old.Phase)
        {
            status.Reason = null;
            status.Message = null;
        }
        status.Phase = phase;

        var conditions = (old.Conditions ?? []).Where(c => !PodConditions.OwnedByKubelet(c.Type)).ToList();
        conditions.Add(PodConditions.ReadyToStartContainers(snapshot.SandboxReady));
        conditions.Add(PodConditions.InitializedCondition(pod.Spec, all, phase));
        conditions.Add(PodConditions.ReadyCondition(pod.Spec, conditions, all, phase));
        conditions.Add(PodConditions.ContainersReadyCondition(pod.Spec, all, phase));
        conditions.Add(new V1PodCondition { Type = PodConditions.PodScheduled, Status = "True" });
        var stamp = ApiTime.Of(now);
        foreach (var condition in conditions.Where(c => PodConditions.OwnedByKubelet(c.Type)))
        {
            var before = old.Conditions?.FirstOrDefault(c => c.Type == condition.Type);
            condition.LastTransitionTime = before is not null && before.Status == condition.Status ? before.LastTransitionTime ?? stamp : stamp;
            condition.LastProbeTime = null;
        }
        status.Conditions = conditions;

        status.StartTime = old.StartTime ?? stamp;

        if (snapshot.HostIPs.Count > 0)
        {
            status.HostIP = snapshot.HostIPs[0];
            status.HostIPs = snapshot.HostIPs.Select(ip => new V1HostIP { Ip = ip }).ToList();
        }
        // A stopped sandbox has no IP; the pod keeps the one it had (upstream keeps podIPs of terminated pods).
        if (snapshot.PodIPs.Count > 0)
        {
            status.PodIP = snapshot.PodIPs[0];
            status.PodIPs = snapshot.PodIPs.Select(ip => new V1PodIP { Ip = ip }).ToList();
        }

        status.QosClass = string.IsNullOrEmpty(old.QosClass) ? QosClasses.Of(pod.Spec) : old.QosClass;
        return status;
    }
}
