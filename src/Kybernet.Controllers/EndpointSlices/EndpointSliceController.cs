using k8s;
using k8s.Models;
using Kybernet.Client;
using Kybernet.Client.Informers;
using Kybernet.Client.Queues;
using Kybernet.Controllers.Endpoints;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Controllers.EndpointSlices;

/// <summary>
/// kube-controller-manager's endpointslice controller: every Service with a selector has discovery.k8s.io/v1
/// EndpointSlices (labels kubernetes.io/service-name and endpointslice.kubernetes.io/managed-by, owned by the
/// Service, named SERVICE-xxxxx) holding an endpoint per selected pod: addresses, conditions ready/serving/terminating,
/// node, zone, hostname, targetRef; at most <see cref="EndpointSliceOptions.MaxEndpointsPerSlice"/> per slice, one
/// slice per address type and resolved port set at least. What to write is <see cref="EndpointSlicePlan"/>; written
/// slices carry the endpoints.kubernetes.io/last-change-trigger-time annotation. Slices of a deleted Service go with it
/// (the garbage collector follows their owner reference); Services without a selector are left alone.
/// <para>
/// On the shared informers of Services, pods, nodes (for zones) and EndpointSlices, with a work queue of Service keys and
/// several workers. A pod change queues the Services whose selector matches it before or after; a node that appears or
/// changes zone queues the Services of its pods; a managed slice changed or deleted by anyone but us queues its
/// Service. A sync waits while the informer has not yet shown our own last writes (<see cref="EndpointSliceTracker"/>).
/// </para>
/// </summary>
public sealed class EndpointSliceController : IController
{
    /// <summary>How soon a sync that found a stale view, or a refused write, is tried again.</summary>
    private static readonly TimeSpan StaleRetry = TimeSpan.FromMilliseconds(100);

    private readonly IKubernetes _client;
    private readonly SharedInformer<V1Service> _services;
    private readonly SharedInformer<V1Pod> _pods;
    private readonly SharedInformer<V1Node> _nodes;
    private readonly SharedInformer<V1EndpointSlice> _slices;
    private readonly EndpointSliceOptions _options;
    private readonly EndpointSliceTracker _tracker = new();
    private readonly TriggerTimeTracker _triggerTimes = new();
    private readonly ILogger _log;

    public EndpointSliceController(InformerFactory informers, EndpointSliceOptions? options = null, ILogger? log = null)
    {
        _options = options ?? new EndpointSliceOptions();
        _options.Validate();
        _client = informers.Client;
        _services = informers.For<V1Service>(ApiResource.Services);
        _pods = informers.For<V1Pod>(ApiResource.Pods);
        _nodes = informers.Nodes();
        _slices = informers.For<V1EndpointSlice>(ApiResource.EndpointSlices);
        _log = log ?? NullLogger.Instance;
    }

    public string Name => "endpointslice";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var queue = new WorkQueue<string>(new WorkQueueOptions { BaseDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromSeconds(30) });
        // Until every informer has its first list, every Service is queued anyway: nodes told then need no scan.
        var synced = false;
        using var onService = _services.AddHandler(InformerHandler<V1Service>.OnAny(service => queue.Add(ObjectKey.Of(service))));
        using var onPod = _pods.AddHandler(new InformerHandler<V1Pod>(
            OnAdd: pod => QueueServices(queue, null, pod),
            OnUpdate: (old, now) => QueueServices(queue, old, now),
            OnDelete: pod => QueueServices(queue, pod, null)));
        using var onNode = _nodes.AddHandler(new InformerHandler<V1Node>(
            OnAdd: node =>
            {
                if (Volatile.Read(ref synced))
                    QueueServicesOnNode(queue, node.Name());
            },
            OnUpdate: (old, now) =>
            {
                if (Zone(old) != Zone(now))
                    QueueServicesOnNode(queue, now.Name());
            }));
        using var onSlice = _slices.AddHandler(new InformerHandler<V1EndpointSlice>(
            OnAdd: slice => OnSliceChanged(queue, slice),
            OnUpdate: (old, now) =>
            {
                // A slice that stops being ours, or changes Service, concerns the Service it left too.
                if (IsManaged(old) && ServiceKeyOf(old) is { } left && (!IsManaged(now) || ServiceKeyOf(now) != left))
                    queue.Add(left);
                OnSliceChanged(queue, now);
            },
            OnDelete: slice =>
            {
                if (ServiceKeyOf(slice) is { } key && IsManaged(slice) && !_tracker.HandleDeletion(key, slice))
                    queue.Add(key);
            }));
        await _services.WaitForSyncAsync(cancellationToken);
        await _pods.WaitForSyncAsync(cancellationToken);
        await _nodes.WaitForSyncAsync(cancellationToken);
        await _slices.WaitForSyncAsync(cancellationToken);
        Volatile.Write(ref synced, true);
        await QueueWorkers.RunAsync(queue, _options.Workers, (key, ct) => ReconcileAsync(queue, key, ct), _log, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private void QueueServices(WorkQueue<string> queue, V1Pod? old, V1Pod? now)
    {
        foreach (var key in ServiceQueueing.ServicesFor(_services.Cache, old, now))
            queue.Add(key);
    }

    /// <summary>A node appeared (its pods may have been left out) or changed zone: the Services of its pods sync. Rare, so a scan.</summary>
    private void QueueServicesOnNode(WorkQueue<string> queue, string node)
    {
        foreach (var pod in _pods.Cache.List())
        {
            if (pod.Spec?.NodeName == node)
                QueueServices(queue, null, pod);
        }
    }

    private void OnSliceChanged(WorkQueue<string> queue, V1EndpointSlice slice)
    {
        if (IsManaged(slice) && ServiceKeyOf(slice) is { } key && _tracker.ShouldSync(key, slice))
            queue.Add(key);
    }

    private static bool IsManaged(V1EndpointSlice slice) =>
        slice.Metadata.Labels?.TryGetValue(EndpointLabels.ManagedBy, out var by) == true && by == EndpointLabels.ManagedByController;

    private static string? ServiceKeyOf(V1EndpointSlice slice) =>
        slice.Metadata.Labels?.TryGetValue(EndpointLabels.ServiceName, out var service) == true ? ObjectKey.For(slice.Namespace(), service) : null;

    private static string? Zone(V1Node node) => node.Metadata.Labels?.TryGetValue(DesiredEndpoints.ZoneLabel, out var zone) == true ? zone : null;

    private async Task ReconcileAsync(WorkQueue<string> queue, string key, CancellationToken ct)
    {
        if (_services.Cache.Get(key) is not { } service)
        {
            // Its slices follow it through their owner reference (the garbage collector).
            _tracker.Forget(key);
            _triggerTimes.Forget(key);
            return;
        }
        if (!ServicePods.IsManaged(service))
            return;
        var existing = _slices.Cache.ByIndex(InformerCache<V1EndpointSlice>.NamespaceIndex, service.Namespace())
            .Where(s => IsManaged(s) && ServiceKeyOf(s) == key).ToList();
        if (_tracker.IsStale(key, existing))
        {
            _log.LogDebug("service {Service}: the EndpointSlice informer has not caught up with our writes yet; syncing later", key);
            queue.AddAfter(key, StaleRetry);
            return;
        }
        var pods = ServiceQueueing.PodsOf(_pods.Cache, service).ToList();
        var triggerTime = _triggerTimes.Compute(key, service, pods);
        var plan = EndpointSlicePlan.For(service, pods, existing, name => _nodes.Cache.Get(name), _options.MaxEndpointsPerSlice);
        if (plan.MissingNode.Count > 0)
            _log.LogInformation("service {Service}: pods {Pods} left out of its EndpointSlices: their node is unknown (they join when it appears)", key, string.Join(", ", plan.MissingNode));
        if (plan.IsEmpty)
            return;
        await ApplyAsync(queue, key, service, plan, triggerTime, ct);
    }

    private async Task ApplyAsync(WorkQueue<string> queue, string key, V1Service service, EndpointSlicePlan plan, DateTime? triggerTime, CancellationToken ct)
    {
        var ns = service.Namespace();
        try
        {
            // No new slices for a Service being deleted: the garbage collector would race us for them.
            if (service.Metadata.DeletionTimestamp is null)
            {
                foreach (var slice in plan.Create)
                {
                    Annotate(slice, triggerTime);
                    var created = await _client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(slice, ns, cancellationToken: ct);
                    _tracker.Wrote(key, created);
                    _log.LogDebug("service {Service}: created EndpointSlice {Slice} ({Count} endpoints)", key, created.Name(), created.Endpoints?.Count ?? 0);
                }
            }
            foreach (var slice in plan.Update)
            {
                Annotate(slice, triggerTime);
                var updated = await _client.DiscoveryV1.ReplaceNamespacedEndpointSliceAsync(slice, slice.Name(), ns, cancellationToken: ct);
                _tracker.Wrote(key, updated);
                _log.LogDebug("service {Service}: updated EndpointSlice {Slice} ({Count} endpoints)", key, updated.Name(), updated.Endpoints?.Count ?? 0);
            }
            foreach (var slice in plan.Delete)
            {
                try
                {
                    await _client.DiscoveryV1.DeleteNamespacedEndpointSliceAsync(slice.Name(), ns, cancellationToken: ct);
                }
                catch (Exception e) when (KubeClient.IsNotFound(e))
                {
                    // Gone already: what we wanted.
                }
                _tracker.ExpectDeletion(key, slice);
                _log.LogDebug("service {Service}: deleted EndpointSlice {Slice}", key, slice.Name());
            }
        }
        catch (Exception e) when (!ct.IsCancellationRequested && EndpointsController.IsNamespaceTerminating(e))
        {
            // Its namespace is being deleted: nothing new may be made there, and the Service goes with it.
        }
        catch (Exception e) when (!ct.IsCancellationRequested && KubeClient.IsConflict(e))
        {
            // A slice changed since our view of it: decide again once the informer shows it.
            _log.LogDebug("service {Service}: an EndpointSlice changed meanwhile ({Error}); syncing again", key, KubeClient.Describe(e));
            queue.AddAfter(key, StaleRetry);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            throw new InvalidOperationException($"writing the EndpointSlices of Service {key} failed: {KubeClient.Describe(e)}", e);
        }
    }

    private static void Annotate(V1EndpointSlice slice, DateTime? triggerTime)
    {
        var annotations = slice.Metadata.Annotations ?? new Dictionary<string, string>();
        if (triggerTime is { } time)
            annotations[EndpointLabels.LastChangeTriggerTime] = EndpointLabels.FormatTime(time);
        else
            annotations.Remove(EndpointLabels.LastChangeTriggerTime);
        slice.Metadata.Annotations = annotations.Count == 0 ? null : annotations;
    }
}
