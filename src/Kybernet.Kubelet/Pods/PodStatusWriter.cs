using k8s;
using k8s.Models;
using Kybernet.Client;
using Kybernet.Kubelet.Cri.V1;
using Kybernet.Kubelet.Pods.Status;
using Microsoft.Extensions.Logging;

namespace Kybernet.Kubelet.Pods;

/// <summary>
/// Turns what the runtime holds for a pod (and why containers wait, and what the probes say) into the pod's API status
/// (<see cref="PodStatusBuilder"/>) and writes it through pods/status when it differs from the stored one (upstream's
/// status manager): a merge patch of status only, so it never races with spec or metadata changes.
/// </summary>
public sealed class PodStatusWriter(IKubernetes client, PodProbes probes, string runtimeName, IReadOnlyList<string> hostIps, TimeProvider time, ILogger log)
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
            var running = latest?.State == ContainerState.ContainerRunning;
            var wait = waits.Of(c.Name);
            return new ContainerSnapshot(
                c.Name,
                Instance(latest),
                Instance(state.Previous(c.Name)),
                RestartCount: (int)(latest?.Metadata.Attempt ?? 0),
                Ready: latest is not null && probes.IsReady(c, latest.Id, running),
                Started: latest is not null && probes.IsStarted(c, latest.Id, running),
                Waiting: wait is null ? null : new ContainerWaiting(wait.Reason, wait.Message));
        }).ToList();
        return new PodRuntimeSnapshot(containers, sandbox is not null, podIps, hostIps, terminal);
    }

    private ContainerInstance? Instance(ContainerStatus? c) => c is null ? null : new ContainerInstance(
        $"{runtimeName}://{c.Id}",
        c.State switch
        {
            ContainerState.ContainerCreated => ContainerRunState.Created,
            ContainerState.ContainerRunning => ContainerRunState.Running,
            ContainerState.ContainerExited => ContainerRunState.Exited,
            _ => ContainerRunState.Unknown,
        },
        c.Image?.Image ?? "",
        c.ImageRef,
        Time(c.StartedAt),
        Time(c.FinishedAt),
        c.ExitCode,
        string.IsNullOrEmpty(c.Reason) ? null : c.Reason,
        string.IsNullOrEmpty(c.Message) ? null : c.Message);

    private static DateTimeOffset? Time(long unixNanoseconds) => unixNanoseconds > 0 ? DateTimeOffset.UnixEpoch.AddTicks(unixNanoseconds / 100) : null;
}
