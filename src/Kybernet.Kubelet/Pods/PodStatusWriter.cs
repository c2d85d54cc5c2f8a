using k8s;
using k8s.Models;
using Kybernet.Client;
using Kybernet.Kubelet.Pods.Status;
using Microsoft.Extensions.Logging;

namespace Kybernet.Kubelet.Pods;

/// <summary>
/// Turns what the runtime holds for a pod (and why containers wait, and what the probes say) into the pod's API status
/// (<see cref="PodStatusBuilder"/>) and writes it through pods/status when it differs from the stored one (upstream's
/// status manager): a merge patch of status only, so it never races with spec or metadata changes.
/// </summary>
public sealed class PodStatusWriter(IKubernetes client, ProbeManager probes, string runtimeName, IReadOnlyList<string> hostIps, TimeProvider time, ILogger log)
{
    public async Task WriteAsync(V1Pod pod, PodRuntimeState state, ContainerWaits waits, bool terminal, CancellationToken ct)
    {
        var status = PodStatusBuilder.Build(pod, Snapshot(pod, state, waits, terminal), time.GetUtcNow());
        if (!PodStatusComparer.Changed(pod.Status, status))
            return;
        var patch = "{\"status\":" + KubernetesJson.Serialize(status) + "}";
        try
        {
            await client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: ct);
            if (status.Phase != pod.Status?.Phase)
                log.LogInformation("pod {Namespace}/{Name}: {Phase}", pod.Metadata.NamespaceProperty, pod.Metadata.Name, status.Phase);
        }
        catch (Exception e) when (KubeClient.IsNotFound(e))
        {
            // Deleted meanwhile: its worker ends with the delete event.
        }
    }

    public PodRuntimeSnapshot Snapshot(V1Pod pod, PodRuntimeState state, ContainerWaits waits, bool terminal)
    {
        var sandbox = state.ReadySandbox;
        IReadOnlyList<string> podIps = pod.Spec.HostNetwork == true
            ? (sandbox is null ? [] : hostIps)
            : sandbox?.Network is { Ip.Length: > 0 } net ? [net.Ip, .. net.AdditionalIps.Select(a => a.Ip)] : [];
        var containers = (pod.Spec.InitContainers ?? []).Concat(pod.Spec.Containers).Select(c =>
        {
            var latest = state.Latest(c.Name);
            var current = RuntimeInstances.Of(latest, runtimeName);
            var (ready, started) = probes.ReadyAndStarted(pod.Metadata.Uid, c.Name, current);
            var wait = waits.Of(c.Name);
            return new ContainerSnapshot(
                c.Name,
                current,
                RuntimeInstances.Of(state.Previous(c.Name), runtimeName),
                RestartCount: (int)(latest?.Metadata.Attempt ?? 0),
                Ready: ready,
                Started: started,
                Waiting: wait is null ? null : new ContainerWaiting(wait.Reason, wait.Message));
        }).ToList();
        return new PodRuntimeSnapshot(containers, sandbox is not null, podIps, hostIps, terminal);
    }

}
