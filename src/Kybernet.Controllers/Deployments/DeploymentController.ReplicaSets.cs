using System.Globalization;
using k8s;
using k8s.Models;
using Kybernet.Client;
using Kybernet.Controllers.Common;
using Microsoft.Extensions.Logging;

namespace Kybernet.Controllers.Deployments;

// The Deployment's ReplicaSets: finding or making the new one, sizing them, and pruning old history.
public sealed partial class DeploymentController
{
    /// <summary>
    /// Upstream's getAllReplicaSetsAndSyncRevision: splits the ReplicaSets into new and old, brings the new one's
    /// revision (highest old + 1) and annotations up to date, copies its revision to the Deployment, and, when
    /// <paramref name="create"/> and there is none, makes it.
    /// </summary>
    private async Task<ReplicaSetFamily> FamilyAsync(V1Deployment d, List<V1ReplicaSet> owned, bool create, CancellationToken ct)
    {
        var family = ReplicaSetFamily.Of(d, owned);
        var newRevision = (family.Old.Count == 0 ? 0 : family.Old.Max(rs => DeploymentAnnotations.RevisionOf(rs.Metadata))) + 1;
        if (family.New is { } existing)
            family.New = await SyncNewReplicaSetAsync(d, existing, newRevision, ct);
        else if (create)
            family.New = await CreateNewReplicaSetAsync(d, family, newRevision, ct);
        return family;
    }

    private async Task<V1ReplicaSet> SyncNewReplicaSetAsync(V1Deployment d, V1ReplicaSet existing, long newRevision, CancellationToken ct)
    {
        var rs = Copy(existing);
        var annotationsChanged = DeploymentAnnotations.SetNewReplicaSetAnnotations(d, rs, newRevision, exists: true, RolloutMath.MaxSurge(d));
        var minReadyChanged = (rs.Spec.MinReadySeconds ?? 0) != (d.Spec.MinReadySeconds ?? 0);
        if (annotationsChanged || minReadyChanged)
        {
            rs.Spec.MinReadySeconds = d.Spec.MinReadySeconds;
            rs = await _client.AppsV1.ReplaceNamespacedReplicaSetAsync(rs, rs.Name(), rs.Namespace(), cancellationToken: ct);
        }
        var revision = rs.Metadata.Annotations?.TryGetValue(DeploymentAnnotations.Revision, out var r) == true ? r : "";
        await SetDeploymentRevisionAsync(d, revision, ct);
        if (DeploymentConditions.HasProgressDeadline(d) && DeploymentConditions.Get(d.Status, DeploymentConditions.Progressing) is null)
        {
            // Progress is measured from the first time the new ReplicaSet was seen.
            d.Status ??= new V1DeploymentStatus();
            DeploymentConditions.Set(d.Status, DeploymentConditions.New(DeploymentConditions.Progressing, DeploymentConditions.True, DeploymentConditions.FoundNewReplicaSet, $"Found new replica set \"{rs.Name()}\"", Now));
            await WriteStatusAsync(d, ct);
        }
        return rs;
    }

    private async Task<V1ReplicaSet?> CreateNewReplicaSetAsync(V1Deployment d, ReplicaSetFamily family, long newRevision, CancellationToken ct)
    {
        var collisionCount = d.Status?.CollisionCount;
        var hash = PodTemplateHash.Compute(d.Spec.Template, collisionCount);
        var template = Copy(d.Spec.Template);
        template.Metadata ??= new V1ObjectMeta();
        template.Metadata.Labels ??= new Dictionary<string, string>();
        template.Metadata.Labels[PodTemplateHash.Label] = hash;
        var selector = Copy(d.Spec.Selector);
        selector.MatchLabels ??= new Dictionary<string, string>();
        selector.MatchLabels[PodTemplateHash.Label] = hash;
        var rs = new V1ReplicaSet
        {
            ApiVersion = "apps/v1",
            Kind = "ReplicaSet",
            Metadata = new V1ObjectMeta
            {
                Name = $"{d.Name()}-{hash}",
                NamespaceProperty = d.Namespace(),
                OwnerReferences = [ControllerRefs.For(d, ApiVersion, Kind)],
                Labels = new Dictionary<string, string>(template.Metadata.Labels),
            },
            Spec = new V1ReplicaSetSpec { Replicas = 0, MinReadySeconds = d.Spec.MinReadySeconds, Selector = selector, Template = template },
        };
        var replicas = RolloutMath.NewReplicaSetReplicas(d, family.All, rs);
        rs.Spec.Replicas = replicas;
        DeploymentAnnotations.SetNewReplicaSetAnnotations(d, rs, newRevision, exists: false, RolloutMath.MaxSurge(d));

        V1ReplicaSet created;
        var alreadyExisted = false;
        try
        {
            created = await _client.AppsV1.CreateNamespacedReplicaSetAsync(rs, d.Namespace(), cancellationToken: ct);
        }
        catch (Exception e) when (KubeClient.IsConflict(e))
        {
            // A ReplicaSet of that name exists: ours for this very template (our cache lags), or a hash collision.
            var existing = await _client.AppsV1.ReadNamespacedReplicaSetAsync(rs.Name(), d.Namespace(), cancellationToken: ct);
            if (ControllerRefs.IsControlledBy(existing.Metadata, d.Metadata) && PodTemplateHash.EqualIgnoringHash(existing.Spec.Template, d.Spec.Template))
            {
                created = existing;
                alreadyExisted = true;
            }
            else
            {
                // Another template (or another owner) has this name: the next hash is taken with collisionCount + 1.
                d.Status ??= new V1DeploymentStatus();
                d.Status.CollisionCount = (d.Status.CollisionCount ?? 0) + 1;
                await WriteStatusAsync(d, ct);
                throw new InvalidOperationException($"hash collision: ReplicaSet {rs.Name()} exists with another template; collisionCount is now {d.Status.CollisionCount}");
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var message = $"Failed to create new replica set \"{rs.Name()}\": {KubeClient.Describe(e)}";
            Events.Record(d, ApiVersion, Kind, EventRecorder.Warning, "FailedCreate", message);
            if (DeploymentConditions.HasProgressDeadline(d))
            {
                d.Status ??= new V1DeploymentStatus();
                DeploymentConditions.Set(d.Status, DeploymentConditions.New(DeploymentConditions.Progressing, DeploymentConditions.False, DeploymentConditions.FailedReplicaSetCreate, message, Now));
                await WriteStatusAsync(d, ct);
            }
            throw;
        }
        if (!alreadyExisted)
        {
            _log.LogInformation("deployment {Key}: created ReplicaSet {ReplicaSet} with {Replicas} replicas (revision {Revision})", KeyOf(d), created.Name(), replicas, newRevision);
            if (replicas > 0)
                Events.Record(d, ApiVersion, Kind, EventRecorder.Normal, "ScalingReplicaSet", $"Scaled up replica set {created.Name()} to {replicas}");
        }
        await SetDeploymentRevisionAsync(d, newRevision.ToString(CultureInfo.InvariantCulture), ct);
        if (!alreadyExisted && DeploymentConditions.HasProgressDeadline(d))
        {
            d.Status ??= new V1DeploymentStatus();
            DeploymentConditions.Set(d.Status, DeploymentConditions.New(DeploymentConditions.Progressing, DeploymentConditions.True, DeploymentConditions.NewReplicaSetCreated, $"Created new replica set \"{created.Name()}\"", Now));
            await WriteStatusAsync(d, ct);
        }
        return created;
    }

    /// <summary>The Deployment's revision annotation follows its new ReplicaSet's (`kubectl rollout history` reads both).</summary>
    private async Task SetDeploymentRevisionAsync(V1Deployment d, string revision, CancellationToken ct)
    {
        if (!DeploymentAnnotations.SetDeploymentRevision(d, revision))
            return;
        var patch = new V1Patch(new { metadata = new { annotations = new Dictionary<string, string> { [DeploymentAnnotations.Revision] = revision }, resourceVersion = d.Metadata.ResourceVersion } }, V1Patch.PatchType.MergePatch);
        var stored = await _client.AppsV1.PatchNamespacedDeploymentAsync(patch, d.Name(), d.Namespace(), cancellationToken: ct);
        // Only the version moves on: the spec this sync acts on is the one it read (a newer one brings its own sync).
        d.Metadata.ResourceVersion = stored.Metadata.ResourceVersion;
    }

    /// <summary>
    /// Sets a ReplicaSet's size (and the Deployment's size and surge in its annotations), recording the scaling as an
    /// event. Returns whether its size changed.
    /// </summary>
    private async Task<bool> ScaleReplicaSetAsync(V1Deployment d, ReplicaSetFamily family, V1ReplicaSet current, int size, CancellationToken ct)
    {
        var rs = Copy(current);
        var from = RolloutMath.Replicas(rs);
        var sizeChanged = from != size;
        var annotationsChanged = DeploymentAnnotations.SetReplicasAnnotations(rs, RolloutMath.Replicas(d), RolloutMath.Replicas(d) + RolloutMath.MaxSurge(d));
        if (!sizeChanged && !annotationsChanged)
            return false;
        rs.Spec.Replicas = size;
        var stored = await _client.AppsV1.ReplaceNamespacedReplicaSetAsync(rs, rs.Name(), rs.Namespace(), cancellationToken: ct);
        family.Replace(stored);
        if (sizeChanged)
        {
            var direction = size > from ? "up" : "down";
            _log.LogInformation("deployment {Key}: scaled {Direction} ReplicaSet {ReplicaSet} from {From} to {To}", KeyOf(d), direction, rs.Name(), from, size);
            Events.Record(d, ApiVersion, Kind, EventRecorder.Normal, "ScalingReplicaSet", $"Scaled {direction} replica set {rs.Name()} to {size} from {from}");
        }
        return sizeChanged;
    }

    /// <summary>
    /// revisionHistoryLimit: old ReplicaSets beyond it are deleted, lowest revision first, but only ones that are
    /// settled at zero (no replicas wanted or present, their latest spec observed).
    /// </summary>
    private async Task CleanupAsync(V1Deployment d, ReplicaSetFamily family, CancellationToken ct)
    {
        if (d.Spec.RevisionHistoryLimit is not { } limit)
            return;
        var cleanable = family.Old.Where(rs => rs.Metadata.DeletionTimestamp is null).ToList();
        var excess = cleanable.Count - limit;
        if (excess <= 0)
            return;
        var byRevision = cleanable
            .OrderBy(rs => DeploymentAnnotations.RevisionOf(rs.Metadata))
            .ThenBy(rs => rs.Metadata.CreationTimestamp ?? DateTime.MinValue)
            .ThenBy(rs => rs.Name(), StringComparer.Ordinal)
            .Take(excess);
        foreach (var rs in byRevision)
        {
            if ((rs.Status?.Replicas ?? 0) != 0 || RolloutMath.Replicas(rs) != 0 || (rs.Metadata.Generation ?? 0) > (rs.Status?.ObservedGeneration ?? 0))
                continue;
            try
            {
                await _client.AppsV1.DeleteNamespacedReplicaSetAsync(rs.Name(), rs.Namespace(),
                    new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = rs.Metadata.Uid } }, cancellationToken: ct);
                _log.LogInformation("deployment {Key}: deleted old ReplicaSet {ReplicaSet} (revision {Revision}) beyond revisionHistoryLimit {Limit}", KeyOf(d), rs.Name(), DeploymentAnnotations.RevisionOf(rs.Metadata), limit);
            }
            catch (Exception e) when (KubeClient.IsNotFound(e))
            {
                // Gone already.
            }
        }
    }
}
