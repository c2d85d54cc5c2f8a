using k8s;
using k8s.Models;
using Kybernet.Client;
using Kybernet.Controllers.Common;
using Microsoft.Extensions.Logging;

namespace Kybernet.Controllers.DaemonSets;

/// <summary>
/// Upstream's controller ref manager for a DaemonSet's pods: a pod it controls whose labels stop matching its selector
/// is released (its controller reference removed), and a pod no one controls that matches is adopted (a controller
/// reference added), unless the DaemonSet is being deleted. Both are strategic merge patches of ownerReferences (merged
/// by uid), so other owners a pod has are kept.
/// </summary>
public sealed class PodClaims(IKubernetes client, ILogger log)
{
    /// <summary>The pods the DaemonSet manages after releasing and adopting, from its own and the namespace's pods.</summary>
    public async Task<List<V1Pod>> ClaimAsync(V1DaemonSet ds, IReadOnlyList<V1Pod> owned, IEnumerable<V1Pod> inNamespace, CancellationToken ct)
    {
        var selector = Selectors.From(ds.Spec.Selector);
        var claimed = new List<V1Pod>();
        foreach (var pod in owned)
        {
            if (selector.Matches(pod.Metadata) || PodState.IsTerminating(pod))
            {
                claimed.Add(pod);
                continue;
            }
            await PatchAsync(pod, new { metadata = new { ownerReferences = new object[] { new Dictionary<string, object> { ["$patch"] = "delete", ["uid"] = ds.Uid() } } } }, ct);
            log.LogInformation("daemonset {Namespace}/{Name}: released pod {Pod} (its labels no longer match)", ds.Namespace(), ds.Name(), pod.Name());
        }
        if (ds.Metadata.DeletionTimestamp is not null)
            return claimed;
        foreach (var pod in inNamespace)
        {
            if (ControllerRefs.ControllerOf(pod.Metadata) is not null || PodState.IsTerminating(pod) || !selector.Matches(pod.Metadata))
                continue;
            var reference = ControllerRefs.For(ds, DaemonSetController.ApiVersion, DaemonSetController.Kind);
            if (await PatchAsync(pod, new { metadata = new { ownerReferences = new[] { reference } } }, ct) is { } adopted)
            {
                log.LogInformation("daemonset {Namespace}/{Name}: adopted pod {Pod}", ds.Namespace(), ds.Name(), pod.Name());
                claimed.Add(adopted);
            }
        }
        return claimed;
    }

    private async Task<V1Pod?> PatchAsync(V1Pod pod, object patch, CancellationToken ct)
    {
        try
        {
            return await client.CoreV1.PatchNamespacedPodAsync(new V1Patch(patch, V1Patch.PatchType.StrategicMergePatch), pod.Name(), pod.Namespace(), cancellationToken: ct);
        }
        catch (Exception e) when (KubeClient.IsNotFound(e))
        {
            return null; // gone meanwhile: nothing to claim
        }
    }
}
