using System.Text.Json.Nodes;
using k8s.Models;
using Kybernet.Client;
using Kybernet.Client.Informers;
using Kybernet.Client.Queues;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Controllers.GarbageCollection;

/// <summary>
/// kube-controller-manager's garbage collector: finishes what deletions start, for every kind the server serves.
/// <list type="bullet">
/// <item>An object none of whose owners is left (each gone, or being deleted in the foreground) is deleted: in the
/// foreground when an owner waits for it and it has dependents of its own, else in the background. One that still has
/// a live owner only loses its references to the others.</item>
/// <item>An owner deleted in the foreground (finalizer <c>foregroundDeletion</c>) waits for its dependents that block
/// it (<c>blockOwnerDeletion</c>); those are decided as above (deleted, or released if another owner keeps them); once
/// none is left, the finalizer goes and the server removes the owner. The other dependents follow it as orphans.</item>
/// <item>An owner deleted with orphaning (finalizer <c>orphan</c>) first has its reference removed from every dependent;
/// then the finalizer goes.</item>
/// </list>
/// It watches the metadata of every resource (discovered from the server, again every
/// <see cref="GarbageCollectorOptions.RediscoveryPeriod"/>) through shared informers into an <see cref="OwnerGraph"/>,
/// and decides one object (by uid) per work-queue key. An owner missing from the graph is looked up on the server before
/// anything is decided, so a cache that lags never costs a live object its dependents. Every write reads the object
/// first and carries its resourceVersion, so a change made meanwhile (another finalizer removed, a reference added) is
/// never overwritten: a conflict is decided again.
/// </summary>
public sealed class GarbageCollector : IController
{
    public const string ForegroundFinalizer = "foregroundDeletion";
    public const string OrphanFinalizer = "orphan";

    private readonly InformerFactory _informers;
    private readonly GarbageCollectorOptions _options;
    private readonly ILogger _log;

    public GarbageCollector(InformerFactory informers, GarbageCollectorOptions? options = null, ILogger? log = null)
    {
        _informers = informers;
        _options = options ?? new GarbageCollectorOptions();
        _log = log ?? NullLogger.Instance;
    }

    public string Name => "garbage-collector";

    /// <summary>What one run knows: the graph, the queue, the resources watched and how owner references resolve to them.</summary>
    private sealed class Run(WorkQueue<string> queue)
    {
        public OwnerGraph Graph { get; } = new();
        public WorkQueue<string> Queue { get; } = queue;
        public HashSet<ApiResource> Watched { get; } = [];
        public List<IDisposable> Handlers { get; } = [];
        /// <summary>(group, kind) to the resource that serves it: an owner reference's apiVersion may name another version.</summary>
        public Dictionary<(string Group, string Kind), ApiResource> ByKind { get; set; } = [];
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var queue = new WorkQueue<string>(new WorkQueueOptions { BaseDelay = _options.RetryDelay });
        var run = new Run(queue);
        try
        {
            // Nothing is judged before every cache is full: an owner not listed yet is not an owner that is gone.
            await Task.WhenAll(await WatchNewResourcesAsync(run, cancellationToken));
            var rediscovery = RediscoverAsync(run, cancellationToken);
            await QueueWorkers.RunAsync(queue, _options.Workers, (uid, ct) => ReconcileAsync(run, uid, ct), _log, cancellationToken);
            await rediscovery;
        }
        finally
        {
            foreach (var handler in run.Handlers)
                handler.Dispose();
        }
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Asks the server what it serves and starts watching what is new; returns the new informers' first lists.</summary>
    private async Task<List<Task>> WatchNewResourcesAsync(Run run, CancellationToken ct)
    {
        var resources = await ApiDiscovery.ServerResourcesAsync(_informers.Client, ct);
        run.ByKind = resources.GroupBy(r => (r.Resource.Group, r.Kind)).ToDictionary(g => g.Key, g => g.First().Resource);
        var synced = new List<Task>();
        foreach (var resource in resources.Where(r => r.Can("list", "watch", "delete")).Select(r => r.Resource).Where(r => !run.Watched.Contains(r)))
        {
            run.Watched.Add(resource);
            var informer = _informers.For<ObjectMetadata>(resource);
            run.Handlers.Add(informer.AddHandler(new InformerHandler<ObjectMetadata>(
                OnAdd: obj => Observe(run, resource, obj),
                OnUpdate: (old, obj) => Changed(run, resource, old, obj),
                OnDelete: obj => Forget(run, obj))));
            synced.Add(informer.WaitForSyncAsync(ct));
            _log.LogInformation("watching the owners and dependents in {Resource}", resource.QualifiedName);
        }
        return synced;
    }

    /// <summary>Resources the server starts serving later (another group, a new kind) are watched too, as upstream's resync of monitors does.</summary>
    private async Task RediscoverAsync(Run run, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.RediscoveryPeriod, ct);
                await Task.WhenAll(await WatchNewResourcesAsync(run, ct));
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _log.LogWarning("discovering the server's resources failed (trying again in {Seconds} s): {Error}", _options.RediscoveryPeriod.TotalSeconds, KubeClient.Describe(e));
            }
        }
    }

    private static void Observe(Run run, ApiResource resource, ObjectMetadata obj)
    {
        var node = GraphNode.Of(resource, obj);
        if (node.Uid.Length == 0)
            return;
        run.Graph.Upsert(node);
        if (node.Owners.Count > 0 || node.Deleting)
            run.Queue.Add(node.Uid);
    }

    private static void Changed(Run run, ApiResource resource, ObjectMetadata old, ObjectMetadata now)
    {
        Observe(run, resource, now);
        // An owner this object no longer names may be waiting for it (foreground): it must look again.
        var still = (now.Metadata.OwnerReferences ?? []).Select(o => o.Uid).ToHashSet(StringComparer.Ordinal);
        foreach (var dropped in (old.Metadata.OwnerReferences ?? []).Where(o => o.Uid is { Length: > 0 } && !still.Contains(o.Uid)))
            run.Queue.Add(dropped.Uid);
    }

    private static void Forget(Run run, ObjectMetadata obj)
    {
        if (obj.Metadata.Uid is not { Length: > 0 } uid)
            return;
        var gone = run.Graph.Remove(uid);
        // Its dependents may be orphans now; its owners may be waiting for it (foreground).
        foreach (var dependent in run.Graph.DependentsOf(uid))
            run.Queue.Add(dependent.Uid);
        foreach (var owner in gone?.Owners ?? [])
            run.Queue.Add(owner.Uid);
    }

    private async Task ReconcileAsync(Run run, string uid, CancellationToken ct)
    {
        if (run.Graph.Get(uid) is not { } node)
            return;
        if (node.Deleting)
        {
            if (node.HasFinalizer(OrphanFinalizer))
                await OrphanDependentsAsync(run, node, ct);
            else if (node.HasFinalizer(ForegroundFinalizer))
                await DeleteBlockingDependentsFirstAsync(run, node, ct);
            return;
        }
        if (node.Owners.Count == 0)
            return;

        var gone = new List<V1OwnerReference>();
        var waiting = new List<V1OwnerReference>();
        var solid = 0;
        foreach (var owner in node.Owners)
        {
            switch (await OwnerStateAsync(run, node, owner, ct))
            {
                case OwnerState.Absent:
                    gone.Add(owner);
                    break;
                case OwnerState.DeletingForeground:
                    waiting.Add(owner);
                    break;
                default:
                    solid++;
                    break;
            }
        }
        if (solid > 0)
        {
            // A live owner keeps it: it only lets go of the owners that are gone or are going in the foreground.
            if (gone.Count + waiting.Count == 0)
                return;
            var released = gone.Concat(waiting).Select(o => o.Uid).ToHashSet(StringComparer.Ordinal);
            _log.LogInformation("{Object}: kept by a live owner, removing its references to {Owners}", node.Describe, string.Join(", ", gone.Concat(waiting).Select(o => $"{o.Kind} {o.Name}")));
            await UpdateMetadataAsync(node, meta => meta.OwnerReferences = [.. (meta.OwnerReferences ?? []).Where(o => !released.Contains(o.Uid))], ct);
            return;
        }
        // No owner is left to keep it.
        var foreground = waiting.Count > 0 && run.Graph.DependentsOf(node.Uid).Count > 0;
        _log.LogInformation("deleting {Object} ({Propagation}): {Owners}", node.Describe, foreground ? "foreground" : "background",
            string.Join("; ", gone.Select(o => $"owner {o.Kind} {o.Name} is gone").Concat(waiting.Select(o => $"owner {o.Kind} {o.Name} is being deleted in the foreground"))));
        await DeleteAsync(node, foreground ? "Foreground" : "Background", ct);
    }

    private enum OwnerState { Present, DeletingForeground, Absent }

    private async Task<OwnerState> OwnerStateAsync(Run run, GraphNode dependent, V1OwnerReference owner, CancellationToken ct)
    {
        if (run.Graph.Get(owner.Uid) is { } known)
            return known.Deleting && known.HasFinalizer(ForegroundFinalizer) ? OwnerState.DeletingForeground : OwnerState.Present;
        var group = owner.ApiVersion.Contains('/') ? owner.ApiVersion[..owner.ApiVersion.IndexOf('/')] : "";
        if (!run.ByKind.TryGetValue((group, owner.Kind), out var resource))
        {
            // A kind the server does not serve cannot be looked up; deleting on a guess is worse than waiting.
            throw new InvalidOperationException($"{dependent.Describe}: owner {owner.Kind} {owner.Name} has apiVersion {owner.ApiVersion}, which the server does not serve");
        }
        // Not in the graph: the cache may lag behind a new owner. The server decides.
        var live = await _informers.Client.GetMetadataAsync(resource, resource.Namespaced ? dependent.Namespace : null, owner.Name, ct);
        if (live is null || live.Metadata.Uid != owner.Uid)
            return OwnerState.Absent;
        return live.Metadata.DeletionTimestamp is not null && (live.Metadata.Finalizers ?? []).Contains(ForegroundFinalizer) ? OwnerState.DeletingForeground : OwnerState.Present;
    }

    /// <summary>
    /// Foreground deletion: the dependents that block the owner are decided (deleted, or released by it if another owner
    /// keeps them); once none blocks it, the finalizer goes (the server then removes the owner).
    /// </summary>
    private async Task DeleteBlockingDependentsFirstAsync(Run run, GraphNode owner, CancellationToken ct)
    {
        var blocking = run.Graph.DependentsOf(owner.Uid)
            .Where(d => d.Owners.Any(o => o.Uid == owner.Uid && o.BlockOwnerDeletion == true)).ToList();
        if (blocking.Count == 0)
        {
            _log.LogInformation("{Object}: no dependent blocks it any more, removing finalizer {Finalizer}", owner.Describe, ForegroundFinalizer);
            await UpdateMetadataAsync(owner, meta => meta.Finalizers = [.. (meta.Finalizers ?? []).Where(f => f != ForegroundFinalizer)], ct);
            return;
        }
        // Each decides on its own; its deletion or release brings the owner back to the queue.
        foreach (var dependent in blocking.Where(d => !d.Deleting))
            run.Queue.Add(dependent.Uid);
    }

    /// <summary>Orphaning: every dependent loses its reference to the owner, then the finalizer goes.</summary>
    private async Task OrphanDependentsAsync(Run run, GraphNode owner, CancellationToken ct)
    {
        foreach (var dependent in run.Graph.DependentsOf(owner.Uid))
            await UpdateMetadataAsync(dependent, meta => meta.OwnerReferences = [.. (meta.OwnerReferences ?? []).Where(o => o.Uid != owner.Uid)], ct);
        _log.LogInformation("{Object}: dependents orphaned, removing finalizer {Finalizer}", owner.Describe, OrphanFinalizer);
        await UpdateMetadataAsync(owner, meta => meta.Finalizers = [.. (meta.Finalizers ?? []).Where(f => f != OrphanFinalizer)], ct);
    }

    /// <summary>Deletes the object if it is still the same one (a uid precondition); already gone or replaced is fine.</summary>
    private async Task DeleteAsync(GraphNode node, string propagation, CancellationToken ct)
    {
        try
        {
            await _informers.Client.DeleteAsync(node.Resource, node.Namespace, node.Name,
                new V1DeleteOptions { PropagationPolicy = propagation, Preconditions = new V1Preconditions { Uid = node.Uid } }, ct);
        }
        catch (Exception e) when (KubeClient.IsNotFound(e) || KubeClient.IsConflict(e))
        {
            // Gone already, or a new object under the name: nothing of ours to delete.
        }
    }

    /// <summary>
    /// Changes the object's finalizers or owner references from what the server holds now (never from the graph's copy,
    /// which may be behind), with its resourceVersion as a precondition: a write that raced another is done again from
    /// the new state. An object that is gone or was replaced under its name is left alone.
    /// </summary>
    private async Task UpdateMetadataAsync(GraphNode node, Action<V1ObjectMeta> change, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var live = await _informers.Client.GetMetadataAsync(node.Resource, node.Namespace, node.Name, ct);
            if (live is null || live.Metadata.Uid != node.Uid)
                return;
            var before = (live.Metadata.Finalizers?.Count, live.Metadata.OwnerReferences?.Count);
            change(live.Metadata);
            if ((live.Metadata.Finalizers?.Count, live.Metadata.OwnerReferences?.Count) == before)
                return; // nothing left to change
            var patch = new JsonObject
            {
                ["metadata"] = new JsonObject
                {
                    ["resourceVersion"] = live.Metadata.ResourceVersion,
                    ["finalizers"] = JsonNode.Parse(k8s.KubernetesJson.Serialize(live.Metadata.Finalizers ?? [])),
                    ["ownerReferences"] = JsonNode.Parse(k8s.KubernetesJson.Serialize(live.Metadata.OwnerReferences ?? [])),
                },
            };
            try
            {
                await _informers.Client.PatchAsync(node.Resource, node.Namespace, node.Name, new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), ct);
                return;
            }
            catch (Exception e) when (KubeClient.IsNotFound(e))
            {
                return; // gone meanwhile: nothing left to change
            }
            catch (Exception e) when (KubeClient.IsConflict(e) && attempt < 5)
            {
                // Written meanwhile: read it again and decide from what it is now.
            }
        }
    }
}

/// <summary>How the garbage collector runs.</summary>
public sealed record GarbageCollectorOptions
{
    /// <summary>Objects decided at once (kube-controller-manager's --concurrent-gc-syncs is 20; a small cluster needs few).</summary>
    public int Workers { get; init; } = 2;

    /// <summary>The first retry's delay after a failed decision (doubling per failure).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How often the server is asked again what it serves, to watch resources it added (upstream: 30 s).</summary>
    public TimeSpan RediscoveryPeriod { get; init; } = TimeSpan.FromSeconds(30);
}
