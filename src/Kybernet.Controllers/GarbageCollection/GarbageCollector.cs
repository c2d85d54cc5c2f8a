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
/// <item>An object all of whose owners are gone is deleted (background propagation); one that still has some loses its
/// references to the missing ones.</item>
/// <item>An owner deleted in the foreground (finalizer <c>foregroundDeletion</c>) has its dependents deleted in the
/// foreground first; once none is left, the finalizer goes and the server removes the owner.</item>
/// <item>An owner deleted with orphaning (finalizer <c>orphan</c>) first has its reference removed from every dependent;
/// then the finalizer goes.</item>
/// </list>
/// It watches the metadata of every resource (discovered from the server) through shared informers into an
/// <see cref="OwnerGraph"/>, and decides one object (by uid) per work-queue key. An owner missing from the graph is
/// looked up on the server before anything is deleted, so a cache that lags never costs a live object its dependents.
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

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var client = _informers.Client;
        var resources = await ApiDiscovery.ServerResourcesAsync(client, cancellationToken);
        var monitored = resources.Where(r => r.Can("list", "watch", "delete")).ToList();
        // Owner references name apiVersion and kind: the resource to look an owner up in.
        var byKind = resources.GroupBy(r => (r.Resource.ApiVersion, r.Kind)).ToDictionary(g => g.Key, g => g.First().Resource);
        var graph = new OwnerGraph();
        using var queue = new WorkQueue<string>(new WorkQueueOptions { BaseDelay = _options.RetryDelay });

        var handlers = new List<IDisposable>();
        try
        {
            var informers = new List<Task>();
            foreach (var resource in monitored.Select(r => r.Resource))
            {
                var informer = _informers.For<ObjectMetadata>(resource);
                handlers.Add(informer.AddHandler(new InformerHandler<ObjectMetadata>(
                    OnAdd: obj => Observe(graph, queue, resource, obj),
                    OnUpdate: (_, obj) => Observe(graph, queue, resource, obj),
                    OnDelete: obj => Forget(graph, queue, obj))));
                informers.Add(informer.WaitForSyncAsync(cancellationToken));
            }
            _log.LogInformation("watching the owners of {Count} resources: {Resources}", monitored.Count, string.Join(", ", monitored.Select(r => r.Resource.QualifiedName)));
            // Nothing is judged before every cache is full: an owner not listed yet is not an owner that is gone.
            await Task.WhenAll(informers);
            await QueueWorkers.RunAsync(queue, _options.Workers, (uid, ct) => ReconcileAsync(graph, byKind, uid, ct), _log, cancellationToken);
        }
        finally
        {
            foreach (var handler in handlers)
                handler.Dispose();
        }
        cancellationToken.ThrowIfCancellationRequested();
    }

    private static void Observe(OwnerGraph graph, WorkQueue<string> queue, ApiResource resource, ObjectMetadata obj)
    {
        var node = GraphNode.Of(resource, obj);
        if (node.Uid.Length == 0)
            return;
        graph.Upsert(node);
        if (node.Owners.Count > 0 || node.Deleting)
            queue.Add(node.Uid);
    }

    private static void Forget(OwnerGraph graph, WorkQueue<string> queue, ObjectMetadata obj)
    {
        if (obj.Metadata.Uid is not { Length: > 0 } uid)
            return;
        var gone = graph.Remove(uid);
        // Its dependents may be orphans now; its owners may be waiting for it (foreground).
        foreach (var dependent in graph.DependentsOf(uid))
            queue.Add(dependent.Uid);
        foreach (var owner in gone?.Owners ?? [])
            queue.Add(owner.Uid);
    }

    private async Task ReconcileAsync(OwnerGraph graph, Dictionary<(string, string), ApiResource> byKind, string uid, CancellationToken ct)
    {
        if (graph.Get(uid) is not { } node)
            return;
        if (node.Deleting)
        {
            if (node.HasFinalizer(OrphanFinalizer))
                await OrphanDependentsAsync(graph, node, ct);
            else if (node.HasFinalizer(ForegroundFinalizer))
                await DeleteDependentsFirstAsync(graph, node, ct);
            return;
        }
        if (node.Owners.Count == 0)
            return;

        var absent = new List<V1OwnerReference>();
        var waitingForDependents = 0;
        foreach (var owner in node.Owners)
        {
            switch (await OwnerStateAsync(graph, byKind, node, owner, ct))
            {
                case OwnerState.Absent:
                    absent.Add(owner);
                    break;
                case OwnerState.DeletingForeground:
                    waitingForDependents++;
                    break;
            }
        }
        if (absent.Count == node.Owners.Count)
        {
            _log.LogInformation("deleting {Object}: its owner{S} {Owners} {Are} gone", node.Describe, absent.Count == 1 ? "" : "s",
                string.Join(", ", absent.Select(o => $"{o.Kind} {o.Name}")), absent.Count == 1 ? "is" : "are");
            await DeleteAsync(node, "Background", ct);
        }
        else if (absent.Count > 0)
        {
            _log.LogInformation("{Object}: removing references to missing owners {Owners}", node.Describe, string.Join(", ", absent.Select(o => $"{o.Kind} {o.Name}")));
            await SetOwnersAsync(node, [.. node.Owners.Where(o => !absent.Contains(o))], ct);
        }
        else if (waitingForDependents == node.Owners.Count)
        {
            // Every owner is being deleted in the foreground: this dependent goes first, in the foreground too.
            await DeleteAsync(node, "Foreground", ct);
        }
    }

    private enum OwnerState { Present, DeletingForeground, Absent }

    private async Task<OwnerState> OwnerStateAsync(OwnerGraph graph, Dictionary<(string, string), ApiResource> byKind, GraphNode dependent, V1OwnerReference owner, CancellationToken ct)
    {
        if (graph.Get(owner.Uid) is { } known)
            return known.Deleting && known.HasFinalizer(ForegroundFinalizer) ? OwnerState.DeletingForeground : OwnerState.Present;
        if (!byKind.TryGetValue((owner.ApiVersion, owner.Kind), out var resource))
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

    /// <summary>Foreground deletion: dependents go first (themselves in the foreground); the finalizer goes once none is left.</summary>
    private async Task DeleteDependentsFirstAsync(OwnerGraph graph, GraphNode owner, CancellationToken ct)
    {
        var dependents = graph.DependentsOf(owner.Uid);
        if (dependents.Count == 0)
        {
            _log.LogInformation("{Object}: its dependents are gone, removing finalizer {Finalizer}", owner.Describe, ForegroundFinalizer);
            await RemoveFinalizerAsync(owner, ForegroundFinalizer, ct);
            return;
        }
        foreach (var dependent in dependents.Where(d => !d.Deleting))
            await DeleteAsync(dependent, "Foreground", ct);
        // Each dependent's deletion brings the owner back to the queue (its informer's delete event).
    }

    /// <summary>Orphaning: every dependent loses its reference to the owner, then the finalizer goes.</summary>
    private async Task OrphanDependentsAsync(OwnerGraph graph, GraphNode owner, CancellationToken ct)
    {
        foreach (var dependent in graph.DependentsOf(owner.Uid))
            await SetOwnersAsync(dependent, [.. dependent.Owners.Where(o => o.Uid != owner.Uid)], ct);
        _log.LogInformation("{Object}: dependents orphaned, removing finalizer {Finalizer}", owner.Describe, OrphanFinalizer);
        await RemoveFinalizerAsync(owner, OrphanFinalizer, ct);
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

    /// <summary>Replaces the owner references with a merge patch guarded by the uid (a new object under the name is left alone).</summary>
    private async Task SetOwnersAsync(GraphNode node, IReadOnlyList<V1OwnerReference> owners, CancellationToken ct)
    {
        var references = new JsonArray([.. owners.Select(o => (JsonNode?)JsonNode.Parse(k8s.KubernetesJson.Serialize(o)))]);
        var patch = new JsonObject { ["metadata"] = new JsonObject { ["uid"] = node.Uid, ["ownerReferences"] = references } };
        await PatchAsync(node, patch, ct);
    }

    private async Task RemoveFinalizerAsync(GraphNode node, string finalizer, CancellationToken ct)
    {
        var remaining = new JsonArray([.. node.Finalizers.Where(f => f != finalizer).Select(f => (JsonNode?)f)]);
        var patch = new JsonObject { ["metadata"] = new JsonObject { ["uid"] = node.Uid, ["finalizers"] = remaining } };
        await PatchAsync(node, patch, ct);
    }

    private async Task PatchAsync(GraphNode node, JsonObject patch, CancellationToken ct)
    {
        try
        {
            await _informers.Client.PatchAsync(node.Resource, node.Namespace, node.Name, new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), ct);
        }
        catch (Exception e) when (KubeClient.IsNotFound(e))
        {
            // Gone meanwhile: nothing left to change.
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
}
