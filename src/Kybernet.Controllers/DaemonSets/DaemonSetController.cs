using System.Collections.Concurrent;
using System.Globalization;
using k8s;
using k8s.Models;
using Kybernet.Client;
using Kybernet.Client.Informers;
using Kybernet.Client.Queues;
using Kybernet.Controllers.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Controllers.DaemonSets;

/// <summary>
/// kube-controller-manager's daemonset controller: one pod of each DaemonSet on every node its template fits
/// (<see cref="DaemonPlacement"/>), placed by the scheduler through a node-name affinity; what one sync does is decided
/// by <see cref="DaemonSetPlan"/>. The template history is kept as ControllerRevisions (<see cref="DaemonSetHistory"/>)
/// and every pod is labelled with its revision's controller-revision-hash, so rollouts are followed (RollingUpdate) or
/// left to the user (OnDelete), and `kubectl rollout status|history|undo ds/x` work.
/// <para>
/// On the shared DaemonSet, pod, node and ControllerRevision informers (pods and revisions found by their controller
/// reference's uid), a queue of DaemonSet keys, and upstream's expectations: after creating or deleting pods a
/// DaemonSet is not acted on again until the informer has shown each of them, so a lagging cache never puts two pods
/// on one node. A failed pod is deleted (and so replaced) with a per-node backoff that doubles, so a pod that
/// crashes at once does not make the controller spin.
/// </para>
/// </summary>
public sealed class DaemonSetController : IController
{
    public const string Component = "daemonset-controller";
    public const string ApiVersion = "apps/v1";
    public const string Kind = "DaemonSet";
    /// <summary>The pod label upstream still writes: the DaemonSet's generation the pod was made from.</summary>
    public const string TemplateGenerationLabel = "pod-template-generation";
    private const string OwnerIndex = "daemonset-controller/owner-uid";

    private readonly IKubernetes _client;
    private readonly SharedInformer<V1DaemonSet> _daemonSets;
    private readonly SharedInformer<V1Pod> _pods;
    private readonly SharedInformer<V1Node> _nodes;
    private readonly SharedInformer<V1ControllerRevision> _revisions;
    private readonly DaemonSetControllerOptions _options;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly Expectations _expectations;
    private readonly DaemonSetHistory _history;
    private readonly PodClaims _claims;
    // "dsUid/node" -> (failed pods deleted in a row, when the next may be)
    private readonly ConcurrentDictionary<string, (int Count, DateTimeOffset Next)> _failedBackoff = new(StringComparer.Ordinal);
    private WorkQueue<string>? _queue;
    private PodControl? _podControl;
    private EventRecorder? _events;

    public DaemonSetController(InformerFactory informers, DaemonSetControllerOptions? options = null, ILogger? log = null, TimeProvider? time = null)
    {
        _client = informers.Client;
        _daemonSets = informers.For<V1DaemonSet>(ApiResource.DaemonSets);
        _pods = informers.For<V1Pod>(ApiResource.Pods);
        _nodes = informers.Nodes();
        _revisions = informers.For<V1ControllerRevision>(ApiResource.ControllerRevisions);
        PodsByController.EnsureIndex(_pods.Cache);
        AddOwnerIndex(_revisions.Cache);
        _options = options ?? new DaemonSetControllerOptions();
        _log = log ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _expectations = new Expectations(_time);
        _history = new DaemonSetHistory(_client, _log);
        _claims = new PodClaims(_client, _log);
    }

    private static void AddOwnerIndex<T>(InformerCache<T> cache) where T : IKubernetesObject<V1ObjectMeta>
    {
        try
        {
            cache.AddIndexer(OwnerIndex, obj => ControllerRefs.ControllerOf(obj.Metadata) is { Kind: Kind } owner ? [owner.Uid] : []);
        }
        catch (ArgumentException)
        {
            // Another DaemonSet controller made on these informers registered it already: the same index, shared.
        }
    }

    public string Name => "daemonset";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await using var events = new EventRecorder(_client, Component, _log, _time);
        using var queue = new WorkQueue<string>(new WorkQueueOptions { BaseDelay = _options.RetryInterval, MaxDelay = TimeSpan.FromSeconds(30), Time = _time });
        (_queue, _events, _podControl) = (queue, events, new PodControl(_client, events));
        using var onDaemonSet = _daemonSets.AddHandler(InformerHandler<V1DaemonSet>.OnAny(ds => queue.Add(ObjectKey.Of(ds))));
        using var onPod = _pods.AddHandler(new InformerHandler<V1Pod>(OnPodAdded, OnPodUpdated, OnPodDeleted));
        using var onNode = _nodes.AddHandler(new InformerHandler<V1Node>(
            OnAdd: _ => EnqueueAll(),
            OnUpdate: (old, node) => { if (Matters(old, node)) EnqueueAll(); },
            OnDelete: _ => EnqueueAll()));
        await _daemonSets.WaitForSyncAsync(cancellationToken);
        await _pods.WaitForSyncAsync(cancellationToken);
        await _nodes.WaitForSyncAsync(cancellationToken);
        await _revisions.WaitForSyncAsync(cancellationToken);
        EnqueueAll();
        await QueueWorkers.RunAsync(queue, _options.Workers, ReconcileAsync, _log, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private void EnqueueAll()
    {
        foreach (var key in _daemonSets.Cache.Keys())
            _queue?.Add(key);
    }

    // What decides where daemon pods go: labels, taints, and the Ready condition (a node that comes back).
    private static bool Matters(V1Node old, V1Node node) =>
        !Same(old.Metadata.Labels, node.Metadata.Labels) ||
        !TaintsEqual(old.Spec?.Taints, node.Spec?.Taints) ||
        old.Spec?.Unschedulable != node.Spec?.Unschedulable ||
        ReadyOf(old) != ReadyOf(node);

    private static bool Same(IDictionary<string, string>? a, IDictionary<string, string>? b) =>
        (a?.Count ?? 0) == (b?.Count ?? 0) && (a is null || a.All(kv => b!.TryGetValue(kv.Key, out var v) && v == kv.Value));

    private static bool TaintsEqual(IList<V1Taint>? a, IList<V1Taint>? b) =>
        (a?.Count ?? 0) == (b?.Count ?? 0) && (a is null || a.Zip(b!).All(p => p.First.Key == p.Second.Key && p.First.Value == p.Second.Value && p.First.Effect == p.Second.Effect));

    private static string? ReadyOf(V1Node node) => node.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready")?.Status;

    private static string? KeyOf(V1Pod pod) =>
        ControllerRefs.ControllerOf(pod.Metadata) is { Kind: Kind, ApiVersion: ApiVersion } owner ? ObjectKey.For(pod.Namespace(), owner.Name) : null;

    private void OnPodAdded(V1Pod pod)
    {
        if (KeyOf(pod) is not { } key)
            return;
        _expectations.CreationObserved(key);
        _queue?.Add(key);
    }

    private void OnPodUpdated(V1Pod old, V1Pod pod)
    {
        if (KeyOf(old) is { } oldKey && oldKey != KeyOf(pod))
            _queue?.Add(oldKey);
        if (KeyOf(pod) is not { } key)
            return;
        if (pod.Metadata.DeletionTimestamp is not null && old.Metadata.DeletionTimestamp is null)
            _expectations.DeletionObserved(key, ObjectKey.Of(pod));
        _queue?.Add(key);
    }

    private void OnPodDeleted(V1Pod pod)
    {
        if (KeyOf(pod) is not { } key)
            return;
        _expectations.DeletionObserved(key, ObjectKey.Of(pod));
        _queue?.Add(key);
    }

    private async Task ReconcileAsync(string key, CancellationToken ct)
    {
        if (_daemonSets.Cache.Get(key) is not { } ds)
        {
            _expectations.Forget(key);
            return;
        }
        if (ds.Metadata.DeletionTimestamp is not null)
            return; // the garbage collector takes its pods and revisions
        var revisions = _revisions.Cache.ByIndex(OwnerIndex, ds.Uid());
        var current = await _history.CurrentAsync(ds, revisions, ct);
        var hash = DaemonSetHistory.HashOf(current.Metadata) ?? RevisionHash.Of(ds.Spec.Template, ds.Status?.CollisionCount);
        var pods = await _claims.ClaimAsync(ds, PodsByController.ControlledBy(_pods.Cache, ds.Uid()), _pods.Cache.ByIndex(InformerCache<V1Pod>.NamespaceIndex, ds.Namespace()), ct);
        var now = _time.GetUtcNow();
        var satisfied = _expectations.Satisfied(key);
        var plan = DaemonSetPlan.Make(ds, _nodes.Cache.List(), pods, hash, now, mayRollOut: satisfied);

        if (satisfied)
        {
            await DeleteFailedAsync(ds, key, plan.FailedPods, ct);
            await DeletePodsAsync(ds, key, plan.PodsToDelete, ct);
            await CreatePodsAsync(ds, key, plan.NodesNeedingPods, hash, ct);
        }
        var liveHashes = pods.Select(p => DaemonSetHistory.HashOf(p.Metadata)).OfType<string>().ToHashSet(StringComparer.Ordinal);
        liveHashes.Add(hash);
        await _history.TruncateAsync(ds, revisions, current, liveHashes, ct);
        await WriteStatusAsync(ds, plan.Status, ct);
        if (plan.RecheckAfter is { } wait)
            _queue?.AddAfter(key, wait + TimeSpan.FromMilliseconds(10));
    }

    private async Task CreatePodsAsync(V1DaemonSet ds, string key, IReadOnlyList<string> nodes, string hash, CancellationToken ct)
    {
        if (nodes.Count == 0)
            return;
        _expectations.ExpectCreations(key, nodes.Count);
        // Slow start, as upstream: batches of 1, 2, 4, ... so a template the API refuses costs one failed call, not one per node.
        var next = 0;
        for (var batch = 1; next < nodes.Count; batch *= 2)
        {
            var slice = nodes.Skip(next).Take(batch).ToList();
            next += slice.Count;
            var results = await Task.WhenAll(slice.Select(node => CreatePodAsync(ds, key, node, hash, ct)));
            if (results.Any(ok => !ok))
            {
                for (var skipped = next; skipped < nodes.Count; skipped++)
                    _expectations.CreationObserved(key); // never attempted: never to be seen
                throw new InvalidOperationException($"daemonset {key}: {results.Count(ok => !ok)} pod(s) could not be created");
            }
        }
    }

    private async Task<bool> CreatePodAsync(V1DaemonSet ds, string key, string node, string hash, CancellationToken ct)
    {
        try
        {
            await _podControl!.CreateAsync(ds, ApiVersion, Kind, ds.Spec.Template, pod =>
            {
                pod.Metadata.Labels = new Dictionary<string, string>(pod.Metadata.Labels ?? new Dictionary<string, string>())
                {
                    [DaemonSetHistory.HashLabel] = hash,
                    [TemplateGenerationLabel] = (ds.Metadata.Generation ?? 0).ToString(CultureInfo.InvariantCulture),
                };
                DaemonPlacement.PinToNode(pod, node);
            }, ct: ct);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _expectations.CreationObserved(key);
            _log.LogWarning("daemonset {DaemonSet}: creating a pod for node {Node} failed: {Error}", key, node, KubeClient.Describe(e));
            return false;
        }
    }

    private async Task DeletePodsAsync(V1DaemonSet ds, string key, IReadOnlyList<V1Pod> pods, CancellationToken ct)
    {
        if (pods.Count == 0)
            return;
        _expectations.ExpectDeletions(key, pods.Select(ObjectKey.Of));
        foreach (var pod in pods)
        {
            try
            {
                if (!await _podControl!.DeleteAsync(ds, ApiVersion, Kind, pod, ct))
                    _expectations.DeletionObserved(key, ObjectKey.Of(pod));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _expectations.DeletionObserved(key, ObjectKey.Of(pod));
                _log.LogWarning("daemonset {DaemonSet}: deleting pod {Pod} failed: {Error}", key, pod.Name(), KubeClient.Describe(e));
                throw;
            }
        }
    }

    // A failed pod is deleted (the next sync replaces it) unless that node's backoff still runs.
    private async Task DeleteFailedAsync(V1DaemonSet ds, string key, IReadOnlyList<(V1Pod Pod, string Node)> failed, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var toDelete = new List<V1Pod>();
        foreach (var (pod, node) in failed)
        {
            var backoffKey = $"{ds.Uid()}/{node}";
            if (_failedBackoff.TryGetValue(backoffKey, out var backoff) && backoff.Next > now)
            {
                _queue?.AddAfter(key, backoff.Next - now);
                continue;
            }
            var count = backoff.Count + 1;
            var delay = _options.FailedPodBackoff * Math.Pow(2, Math.Min(count - 1, 30));
            _failedBackoff[backoffKey] = (count, now + (delay > _options.MaxFailedPodBackoff ? _options.MaxFailedPodBackoff : delay));
            var message = $"Found failed daemon pod {pod.Namespace()}/{pod.Name()} on node {node}, will try to kill it";
            _events!.Record(ds, ApiVersion, Kind, EventRecorder.Warning, "FailedDaemonPod", message);
            _log.LogInformation("daemonset {DaemonSet}: {Message}", key, message);
            toDelete.Add(pod);
        }
        await DeletePodsAsync(ds, key, toDelete, ct);
    }

    private async Task WriteStatusAsync(V1DaemonSet ds, V1DaemonSetStatus status, CancellationToken ct)
    {
        status.Conditions = ds.Status?.Conditions;
        if (KubernetesJson.Serialize(status) == KubernetesJson.Serialize(ds.Status ?? new V1DaemonSetStatus()))
            return;
        var next = KubernetesJson.Deserialize<V1DaemonSet>(KubernetesJson.Serialize(ds));
        next.Status = status;
        try
        {
            await _client.AppsV1.ReplaceNamespacedDaemonSetStatusAsync(WithKind(next), ds.Name(), ds.Namespace(), cancellationToken: ct);
        }
        catch (Exception e) when (KubeClient.IsConflict(e))
        {
            // Our cache lags behind our own last write (or a spec change): the status is computed from the pods either
            // way, so write it onto the current object, keeping the generation we observed.
            var fresh = await _client.AppsV1.ReadNamespacedDaemonSetAsync(ds.Name(), ds.Namespace(), cancellationToken: ct);
            if (fresh.Uid() != ds.Uid())
                return;
            status.CollisionCount = fresh.Status?.CollisionCount;
            fresh.Status = status;
            await _client.AppsV1.ReplaceNamespacedDaemonSetStatusAsync(WithKind(fresh), ds.Name(), ds.Namespace(), cancellationToken: ct);
        }
    }

    private static V1DaemonSet WithKind(V1DaemonSet ds)
    {
        ds.ApiVersion = ApiVersion;
        ds.Kind = Kind;
        return ds;
    }
}
