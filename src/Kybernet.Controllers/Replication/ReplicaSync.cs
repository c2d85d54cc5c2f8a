using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kybernet.Api.Selectors;
using Kybernet.Client;
using Kybernet.Client.Informers;
using Kybernet.Client.Queues;
using Kybernet.Controllers.Common;
using Microsoft.Extensions.Logging;

namespace Kybernet.Controllers.Replication;

/// <summary>
/// One run of a replica controller: the sync of one owner (upstream's syncReplicaSet) and the pod events that lower
/// its expectations and queue it. A sync claims the owner's pods (adopt, release), creates or deletes the difference
/// only when its earlier writes have all been seen, then writes the status if it changed.
/// </summary>
internal sealed partial class ReplicaSync<TOwner>(
    ReplicaKind<TOwner> kind,
    IKubernetes client,
    InformerCache<TOwner> owners,
    InformerCache<V1Pod> pods,
    WorkQueue<string> queue,
    PodControl podControl,
    Expectations expectations,
    ReplicationOptions options,
    ILogger log,
    TimeProvider time)
    where TOwner : class, IKubernetesObject<V1ObjectMeta>
{
    // A pod becomes available at a whole second (conditions' times have seconds); look a little after it.
    private static readonly TimeSpan AvailabilitySlack = TimeSpan.FromMilliseconds(100);

    public async Task SyncAsync(string key, CancellationToken ct)
    {
        if (owners.Get(key) is not { } owner)
        {
            expectations.Forget(key);
            return;
        }
        // Read before the pods: a pod event that satisfies them after this point queues the key again.
        var needsSync = expectations.Satisfied(key);
        if (!needsSync)
        {
            // Normally a pod event satisfies them and queues the key; if that event never comes (a pod made and
            // deleted while the watch was down is never heard of), they expire, and this looks again then.
            queue.AddAfter(key, Expectations.Timeout + TimeSpan.FromSeconds(1));
        }
        LabelSelector selector;
        try
        {
            selector = kind.Selector(owner);
        }
        catch (SelectorException e)
        {
            log.LogError("{Kind} {Key}: its selector is invalid, nothing done: {Error}", kind.Kind, key, e.Message);
            return;
        }
        var claimed = await ClaimAsync(key, owner, selector, ct);
        ReplicaManageException? failure = null;
        if (needsSync && owner.Metadata.DeletionTimestamp is null)
            failure = await ManageAsync(key, owner, claimed, ct);
        await UpdateStatusAsync(key, owner, claimed, failure, ct);
        if (failure is not null)
            throw failure;
    }

    /// <summary>Active pods (not finished, not being deleted) it controls, and orphans of its namespace that may become its.</summary>
    private IEnumerable<V1Pod> Candidates(TOwner owner) =>
        PodsByController.ControlledBy(pods, owner.Metadata.Uid)
            .Concat(PodsByController.Orphans(pods, owner.Metadata.NamespaceProperty))
            .Where(PodState.IsActive);

    /// <summary>
    /// Upstream's ClaimPods: its pods that still match are kept, those that no longer match are released, orphans that
    /// match are adopted (once the owner is confirmed live from the API, not the cache). Returns the pods it now has.
    /// </summary>
    private async Task<List<V1Pod>> ClaimAsync(string key, TOwner owner, LabelSelector selector, CancellationToken ct)
    {
        var claimed = new List<V1Pod>();
        var failures = new List<string>();
        var deleting = owner.Metadata.DeletionTimestamp is not null;
        bool? live = null;
        foreach (var pod in Candidates(owner))
        {
            var matches = selector.Matches(pod.Metadata);
            if (ControllerRefs.ControllerOf(pod.Metadata) is not null)
            {
                if (matches)
                    claimed.Add(pod);
                else if (!deleting)
                    await ReleaseAsync(key, owner, pod, failures, ct);
                continue;
            }
            if (!matches || deleting)
                continue;
            live ??= await IsLiveAsync(key, owner, ct);
            if (live == true && await AdoptAsync(key, owner, pod, failures, ct))
                claimed.Add(pod);
        }
        if (failures.Count > 0)
            throw new InvalidOperationException($"{kind.Kind} {key}: claiming its pods failed: {string.Join("; ", failures)}");
        return claimed;
    }

    /// <summary>The owner as stored still has this uid and is not being deleted: adopting for it is safe.</summary>
    private async Task<bool> IsLiveAsync(string key, TOwner owner, CancellationToken ct)
    {
        var (ns, name) = ObjectKey.Split(key);
        try
        {
            var fresh = await kind.ReadAsync(client, ns ?? "", name, ct);
            if (fresh.Metadata.Uid != owner.Metadata.Uid)
                log.LogInformation("{Kind} {Key}: not adopting, it was replaced (uid {Uid}, wanted {Wanted})", kind.Kind, key, fresh.Metadata.Uid, owner.Metadata.Uid);
            else if (fresh.Metadata.DeletionTimestamp is not null)
                log.LogInformation("{Kind} {Key}: not adopting, it is being deleted", kind.Kind, key);
            else
                return true;
        }
        catch (Exception e) when (KubeClient.IsNotFound(e))
        {
            log.LogInformation("{Kind} {Key}: not adopting, it is gone", kind.Kind, key);
        }
        return false;
    }

    private async Task<bool> AdoptAsync(string key, TOwner owner, V1Pod pod, List<string> failures, CancellationToken ct)
    {
        // Merged by uid into the pod's references; the pod's uid is a precondition (a pod made again under its name is another).
        var reference = ControllerRefs.For(owner, kind.ApiVersion, kind.Kind);
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["uid"] = pod.Metadata.Uid,
                ["ownerReferences"] = new JsonArray(new JsonObject
                {
                    ["apiVersion"] = reference.ApiVersion,
                    ["kind"] = reference.Kind,
                    ["name"] = reference.Name,
                    ["uid"] = reference.Uid,
                    ["controller"] = true,
                    ["blockOwnerDeletion"] = true,
                }),
            },
        };
        if (!await PatchPodAsync(key, pod, patch, "adopting", failures, ct))
            return false;
        log.LogInformation("{Kind} {Key}: adopted pod {Pod}", kind.Kind, key, pod.Metadata.Name);
        return true;
    }

    private async Task ReleaseAsync(string key, TOwner owner, V1Pod pod, List<string> failures, CancellationToken ct)
    {
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["uid"] = pod.Metadata.Uid,
                ["ownerReferences"] = new JsonArray(new JsonObject { ["$patch"] = "delete", ["uid"] = owner.Metadata.Uid }),
            },
        };
        if (await PatchPodAsync(key, pod, patch, "releasing", failures, ct))
            log.LogInformation("{Kind} {Key}: released pod {Pod}, its labels no longer match", kind.Kind, key, pod.Metadata.Name);
    }

    /// <summary>A strategic merge patch of the pod; a pod gone or replaced meanwhile is skipped, any other failure noted.</summary>
    private async Task<bool> PatchPodAsync(string key, V1Pod pod, JsonObject patch, string what, List<string> failures, CancellationToken ct)
    {
        try
        {
            await client.CoreV1.PatchNamespacedPodAsync(new V1Patch(patch.ToJsonString(), V1Patch.PatchType.StrategicMergePatch),
                pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: ct);
            return true;
        }
        catch (Exception e) when (KubeClient.IsNotFound(e) || KubeClient.IsConflict(e))
        {
            log.LogInformation("{Kind} {Key}: not {What} pod {Pod}, it is gone or was replaced: {Error}", kind.Kind, key, what, pod.Metadata.Name, KubeClient.Describe(e));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogWarning("{Kind} {Key}: {What} pod {Pod} failed: {Error}", kind.Kind, key, what, pod.Metadata.Name, KubeClient.Describe(e));
            failures.Add($"{what} pod {pod.Metadata.Name}: {KubeClient.Describe(e)}");
        }
        return false;
    }

    /// <summary>
    /// Creates or deletes the difference between its pods and spec.replicas (at most <see cref="ReplicationOptions.BurstReplicas"/>
    /// at a time), each write expected before it is made. Returns the failure, if any (the status reports it).
    /// </summary>
    private async Task<ReplicaManageException?> ManageAsync(string key, TOwner owner, List<V1Pod> claimed, CancellationToken ct)
    {
        var wanted = kind.Replicas(owner);
        var diff = claimed.Count - wanted;
        if (diff < 0)
        {
            if (kind.Template(owner) is not { } template)
            {
                log.LogError("{Kind} {Key}: no pod template, no pods can be made", kind.Kind, key);
                return null;
            }
            var count = Math.Min(-diff, options.BurstReplicas);
            log.LogInformation("{Kind} {Key}: too few replicas (need {Wanted}, have {Have}), creating {Count}", kind.Kind, key, wanted, claimed.Count, count);
            expectations.ExpectCreations(key, count);
            var (created, failure) = await SlowStart.RunAsync(count, () => CreateAsync(key, owner, template, ct));
            // Creations never attempted, and the failed ones, will never be seen: stop waiting for them.
            for (var skipped = count - created; skipped > 0; skipped--)
                expectations.CreationObserved(key);
            if (failure is OperationCanceledException && ct.IsCancellationRequested)
                throw failure;
            return failure is null ? null : new ReplicaManageException(ReplicaStatus.FailedCreate, failure);
        }
        if (diff > 0)
        {
            var count = Math.Min(diff, options.BurstReplicas);
            var doomed = PodDeletionOrder.PickToDelete(claimed, count, RelatedPods(owner, claimed));
            log.LogInformation("{Kind} {Key}: too many replicas (need {Wanted}, have {Have}), deleting {Count}", kind.Kind, key, wanted, claimed.Count, count);
            expectations.ExpectDeletions(key, doomed.Select(p => ObjectKey.Of(p)));
            var failures = new ConcurrentQueue<Exception>();
            await Task.WhenAll(doomed.Select(pod => Task.Run(() => DeleteAsync(key, owner, pod, failures, ct), CancellationToken.None)));
            ct.ThrowIfCancellationRequested();
            return failures.TryPeek(out var first) ? new ReplicaManageException(ReplicaStatus.FailedDelete, first) : null;
        }
        return null;
    }

    /// <summary>
    /// The pods whose placement its deletions should keep spread: its own, or, when its owner also owns other owners of
    /// its kind (a Deployment's ReplicaSets), all of theirs.
    /// </summary>
    private IEnumerable<V1Pod> RelatedPods(TOwner owner, List<V1Pod> claimed)
    {
        if (ControllerRefs.ControllerOf(owner.Metadata) is not { } parent)
            return claimed;
        return owners.ByIndex(InformerCache<TOwner>.NamespaceIndex, owner.Metadata.NamespaceProperty ?? "")
            .Where(sibling => ControllerRefs.ControllerOf(sibling.Metadata)?.Uid == parent.Uid)
            .SelectMany(sibling => PodsByController.ControlledBy(pods, sibling.Metadata.Uid))
            .Where(PodState.IsActive);
    }

    private async Task CreateAsync(string key, TOwner owner, V1PodTemplateSpec template, CancellationToken ct)
    {
        try
        {
            await podControl.CreateAsync(owner, kind.ApiVersion, kind.Kind, template, ct: ct);
        }
        catch (Exception e) when (ReplicaManageException.IsNamespaceTerminating(e))
        {
            // Not a failure (upstream's rule): the namespace's deletion takes the owner too. It will not be seen.
            log.LogInformation("{Kind} {Key}: not creating a pod, its namespace is being terminated", kind.Kind, key);
            expectations.CreationObserved(key);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogWarning("{Kind} {Key}: creating a pod failed: {Error}", kind.Kind, key, KubeClient.Describe(e));
            throw;
        }
    }

    private async Task DeleteAsync(string key, TOwner owner, V1Pod pod, ConcurrentQueue<Exception> failures, CancellationToken ct)
    {
        var podKey = ObjectKey.Of(pod);
        try
        {
            if (!await podControl.DeleteAsync(owner, kind.ApiVersion, kind.Kind, pod, ct))
                expectations.DeletionObserved(key, podKey); // gone already
        }
        catch (Exception e)
        {
            expectations.DeletionObserved(key, podKey);
            if (e is OperationCanceledException)
                return;
            log.LogWarning("{Kind} {Key}: deleting pod {Pod} failed: {Error}", kind.Kind, key, pod.Metadata.Name, KubeClient.Describe(e));
            failures.Enqueue(e);
        }
    }

    /// <summary>
    /// Writes the status its pods give (only when it differs from the stored one), and queues the owner again for when
    /// the next ready pod has been ready for minReadySeconds.
    /// </summary>
    private async Task UpdateStatusAsync(string key, TOwner owner, List<V1Pod> claimed, ReplicaManageException? failure, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var minReadySeconds = kind.MinReadySeconds(owner);
        var templateLabels = Selectors.FromMap(kind.Template(owner)?.Metadata?.Labels);
        var stored = kind.Status(owner);
        var conditions = stored.Conditions.Where(c => c.Type != ReplicaStatus.ReplicaFailure).ToList();
        if (failure is not null)
        {
            // An existing failure condition is kept as it was (its transition time is when the trouble began), as upstream.
            conditions.Add(stored.Condition(ReplicaStatus.ReplicaFailure)
                ?? new ReplicaCondition(ReplicaStatus.ReplicaFailure, "True", failure.Reason, failure.Message, now.UtcDateTime));
        }
        var status = new ReplicaStatus(
            claimed.Count,
            claimed.Count(p => templateLabels.Matches(p.Metadata)),
            claimed.Count(PodState.IsReady),
            claimed.Count(p => PodState.IsAvailable(p, minReadySeconds, now)),
            owner.Metadata.Generation,
            conditions);
        if (status.DiffersFrom(stored))
        {
            try
            {
                await kind.PatchStatusAsync(client, owner, status.ToMergePatch(), ct);
            }
            catch (Exception e) when (KubeClient.IsNotFound(e))
            {
                return; // deleted meanwhile: its delete event ends it
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new InvalidOperationException($"{kind.Kind} {key}: writing its status failed: {KubeClient.Describe(e)}", e);
            }
        }
        if (failure is null && claimed.Select(p => PodState.UntilAvailable(p, minReadySeconds, now)).Where(d => d is not null).Min() is { } wait)
            queue.AddAfter(key, wait + AvailabilitySlack);
    }
}
