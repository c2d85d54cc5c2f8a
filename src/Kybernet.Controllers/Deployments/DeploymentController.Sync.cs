using k8s;
using k8s.Models;
using Kybernet.Api.Selectors;
using Kybernet.Client;
using Kybernet.Controllers.Common;
using Microsoft.Extensions.Logging;

namespace Kybernet.Controllers.Deployments;

// One Deployment's sync (upstream's syncDeployment): claim its ReplicaSets, then by its state only the status, only a
// scale, or a rollout by its strategy.
public sealed partial class DeploymentController
{
    private async Task ReconcileAsync(string key, CancellationToken ct)
    {
        try
        {
            await SyncAsync(key, ct);
        }
        catch (Exception e) when (KubeClient.IsConflict(e))
        {
            // We acted on a cached version that has since changed (often by our own previous write, which the
            // informer has not shown us yet). Its newer version is on its way through the informer and queues this
            // Deployment again, so this is no failure to back off from.
            _log.LogDebug("deployment {Key}: {Error}; syncing again on the newer version", key, KubeClient.Describe(e));
        }
    }

    private async Task SyncAsync(string key, CancellationToken ct)
    {
        if (_deployments.Cache.Get(key) is not { } cached)
            return;
        var d = Copy(cached);
        if (SelectorOf(d) is not { } selector)
            return;
        if (selector.IsEverything)
        {
            // The API refuses these; one written before that rule would take every pod in the namespace.
            Events.Record(d, ApiVersion, Kind, EventRecorder.Warning, "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.");
            return;
        }
        var owned = await ClaimReplicaSetsAsync(d, selector, ct);
        if (d.Metadata.DeletionTimestamp is not null)
        {
            // Being deleted: the garbage collector takes the ReplicaSets; only the status is kept true meanwhile.
            await SyncStatusAsync(d, await FamilyAsync(d, owned, create: false, ct), ct);
            return;
        }
        await CheckPausedConditionsAsync(d, ct);
        if (d.Spec.Paused == true || IsScalingEvent(d, owned))
        {
            await SyncScaleAsync(d, owned, ct);
            return;
        }
        if (RolloutMath.IsRollingUpdate(d))
            await RolloutRollingAsync(d, owned, ct);
        else
            await RolloutRecreateAsync(d, owned, ct);
    }

    /// <summary>
    /// The ReplicaSets this Deployment controls, after adopting the orphans its selector matches and releasing the
    /// ones it controls that no longer match (as the ReplicaSet controller does with pods). Copies, free to change.
    /// </summary>
    private async Task<List<V1ReplicaSet>> ClaimReplicaSetsAsync(V1Deployment d, LabelSelector selector, CancellationToken ct)
    {
        var owned = new List<V1ReplicaSet>();
        bool? mayAdopt = null;
        foreach (var cachedRs in _replicaSets.Cache.ByIndex(Client.Informers.InformerCache<V1ReplicaSet>.NamespaceIndex, d.Namespace() ?? ""))
        {
            var controller = ControllerRefs.ControllerOf(cachedRs.Metadata);
            var matches = selector.Matches(cachedRs.Metadata);
            if (controller is not null)
            {
                if (controller.Uid != d.Metadata.Uid)
                    continue;
                if (matches)
                    owned.Add(Copy(cachedRs));
                else if (d.Metadata.DeletionTimestamp is null)
                    await ReleaseAsync(d, cachedRs, ct);
                continue;
            }
            if (!matches || d.Metadata.DeletionTimestamp is not null || cachedRs.Metadata.DeletionTimestamp is not null)
                continue;
            mayAdopt ??= await StillOursToAdoptWithAsync(d, ct);
            if (mayAdopt == true && await AdoptAsync(d, cachedRs, ct) is { } adopted)
                owned.Add(adopted);
        }
        return owned;
    }

    /// <summary>
    /// Before adopting, the Deployment is read from the API itself (upstream's recheck): a cached one may have been
    /// deleted, or deleted and made again under its name, and must not take orphans then.
    /// </summary>
    private async Task<bool> StillOursToAdoptWithAsync(V1Deployment d, CancellationToken ct)
    {
        try
        {
            var fresh = await _client.AppsV1.ReadNamespacedDeploymentAsync(d.Name(), d.Namespace(), cancellationToken: ct);
            return fresh.Metadata.Uid == d.Metadata.Uid && fresh.Metadata.DeletionTimestamp is null;
        }
        catch (Exception e) when (KubeClient.IsNotFound(e))
        {
            return false;
        }
    }

    private async Task<V1ReplicaSet?> AdoptAsync(V1Deployment d, V1ReplicaSet rs, CancellationToken ct)
    {
        var refs = (rs.Metadata.OwnerReferences ?? []).Select(Copy).ToList();
        refs.Add(ControllerRefs.For(d, ApiVersion, Kind));
        // The resourceVersion makes the patch conditional: a ReplicaSet changed meanwhile is looked at again.
        var patch = new V1Patch(new { metadata = new { ownerReferences = refs, resourceVersion = rs.Metadata.ResourceVersion, uid = rs.Metadata.Uid } }, V1Patch.PatchType.MergePatch);
        try
        {
            var adopted = await _client.AppsV1.PatchNamespacedReplicaSetAsync(patch, rs.Name(), rs.Namespace(), cancellationToken: ct);
            _log.LogInformation("deployment {Key}: adopted ReplicaSet {ReplicaSet}", KeyOf(d), rs.Name());
            return adopted;
        }
        catch (Exception e) when (KubeClient.IsNotFound(e))
        {
            return null; // gone meanwhile: nothing to adopt
        }
    }

    private async Task ReleaseAsync(V1Deployment d, V1ReplicaSet rs, CancellationToken ct)
    {
        var refs = (rs.Metadata.OwnerReferences ?? []).Where(o => o.Uid != d.Metadata.Uid).ToList();
        var patch = new V1Patch(new { metadata = new { ownerReferences = refs, resourceVersion = rs.Metadata.ResourceVersion, uid = rs.Metadata.Uid } }, V1Patch.PatchType.MergePatch);
        try
        {
            await _client.AppsV1.PatchNamespacedReplicaSetAsync(patch, rs.Name(), rs.Namespace(), cancellationToken: ct);
            _log.LogInformation("deployment {Key}: released ReplicaSet {ReplicaSet}, which its selector no longer matches", KeyOf(d), rs.Name());
        }
        catch (Exception e) when (KubeClient.IsNotFound(e))
        {
            // Gone already: nothing to release.
        }
    }

    /// <summary>The Deployment's size changed since its active ReplicaSets were last sized (their desired-replicas annotation).</summary>
    private static bool IsScalingEvent(V1Deployment d, List<V1ReplicaSet> owned)
    {
        var family = ReplicaSetFamily.Of(d, owned);
        foreach (var rs in RolloutMath.Active(family.All))
        {
            if (DeploymentAnnotations.IntAnnotation(rs.Metadata, DeploymentAnnotations.DesiredReplicas) is { } desired && desired != RolloutMath.Replicas(d))
                return true;
        }
        return false;
    }

    /// <summary>Paused: record it in the Progressing condition (Unknown, DeploymentPaused), and its end (DeploymentResumed).</summary>
    private async Task CheckPausedConditionsAsync(V1Deployment d, CancellationToken ct)
    {
        if (!DeploymentConditions.HasProgressDeadline(d))
            return;
        var condition = DeploymentConditions.Get(d.Status, DeploymentConditions.Progressing);
        if (condition?.Reason == DeploymentConditions.ProgressDeadlineExceeded)
            return; // a reported lack of progress is not overwritten by a pause
        var pausedRecorded = condition?.Reason == DeploymentConditions.DeploymentPaused;
        d.Status ??= new V1DeploymentStatus();
        if (d.Spec.Paused == true && !pausedRecorded)
            DeploymentConditions.Set(d.Status, DeploymentConditions.New(DeploymentConditions.Progressing, DeploymentConditions.Unknown, DeploymentConditions.DeploymentPaused, "Deployment is paused", Now));
        else if (d.Spec.Paused != true && pausedRecorded)
            DeploymentConditions.Set(d.Status, DeploymentConditions.New(DeploymentConditions.Progressing, DeploymentConditions.Unknown, DeploymentConditions.DeploymentResumed, "Deployment is resumed", Now));
        else
            return;
        await WriteStatusAsync(d, ct);
    }

    /// <summary>A paused Deployment, or one whose size changed: scale what exists, start no rollout.</summary>
    private async Task SyncScaleAsync(V1Deployment d, List<V1ReplicaSet> owned, CancellationToken ct)
    {
        var family = await FamilyAsync(d, owned, create: false, ct);
        await ScaleAsync(d, family, ct);
        if (d.Spec.Paused == true)
            await CleanupAsync(d, family, ct);
        await SyncStatusAsync(d, family, ct);
    }

    private static string KeyOf(V1Deployment d) => Client.Informers.ObjectKey.Of(d);
}
