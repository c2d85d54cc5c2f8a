using k8s;
using k8s.Models;
using Kybernet.Client;
using Kybernet.Client.Informers;
using Kybernet.Client.Queues;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Controllers.Endpoints;

/// <summary>
/// kube-controller-manager's endpoints controller: every Service with a selector has a core/v1 Endpoints object of its
/// name listing the pods it selects (<see cref="EndpointSubsets"/>), with the Service's labels (plus
/// service.kubernetes.io/headless for a headless one) and the last-change-trigger-time annotation. Services without a
/// selector are left alone: their Endpoints are their users' (the API server keeps the `kubernetes` Service's). The
/// Endpoints of a deleted Service are deleted (they carry no owner reference, as upstream's), and at start so are those
/// left over from Services deleted while no controller ran.
/// <para>
/// On the shared informers of Services, pods and Endpoints, with a work queue of Service keys and several workers: a pod
/// change queues the Services whose selector matches it before or after; a deleted Endpoints queues its Service (made
/// again). A write happens only when the subsets, the labels or the capacity annotation differ from what is stored; it
/// carries the resourceVersion it was computed from, so a concurrent change makes it fail and retry from the new state.
/// </para>
/// </summary>
public sealed class EndpointsController : IController
{
    /// <summary>Upstream's cap on the addresses of one Endpoints object.</summary>
    public const int MaxAddresses = 1000;

    /// <summary>Endpoints with this annotation belong to a leader election, not to a Service: never cleaned up.</summary>
    private const string LeaderAnnotation = "control-plane.alpha.kubernetes.io/leader";

    /// <summary>How soon a write refused for a stale view is tried again (the watch is usually that far behind).</summary>
    private static readonly TimeSpan ConflictRetry = TimeSpan.FromMilliseconds(100);

    private readonly IKubernetes _client;
    private readonly SharedInformer<V1Service> _services;
    private readonly SharedInformer<V1Pod> _pods;
    private readonly SharedInformer<V1Endpoints> _endpoints;
    private readonly EndpointsOptions _options;
    private readonly TriggerTimeTracker _triggerTimes = new();
    private readonly ILogger _log;

    public EndpointsController(InformerFactory informers, EndpointsOptions? options = null, ILogger? log = null)
    {
        _client = informers.Client;
        _services = informers.For<V1Service>(ApiResource.Services);
        _pods = informers.For<V1Pod>(ApiResource.Pods);
        _endpoints = informers.For<V1Endpoints>(ApiResource.Endpoints);
        _options = options ?? new EndpointsOptions();
        _log = log ?? NullLogger.Instance;
    }

    public string Name => "endpoints";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var queue = new WorkQueue<string>(new WorkQueueOptions { BaseDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromSeconds(30) });
        using var onService = _services.AddHandler(InformerHandler<V1Service>.OnAny(service => queue.Add(ObjectKey.Of(service))));
        using var onPod = _pods.AddHandler(new InformerHandler<V1Pod>(
            OnAdd: pod => QueueServices(queue, null, pod),
            OnUpdate: (old, now) => QueueServices(queue, old, now),
            OnDelete: pod => QueueServices(queue, pod, null)));
        using var onEndpoints = _endpoints.AddHandler(new InformerHandler<V1Endpoints>(OnDelete: endpoints => queue.Add(ObjectKey.Of(endpoints))));
        await _services.WaitForSyncAsync(cancellationToken);
        await _pods.WaitForSyncAsync(cancellationToken);
        await _endpoints.WaitForSyncAsync(cancellationToken);
        QueueLeftovers(queue);
        await QueueWorkers.RunAsync(queue, _options.Workers, (key, ct) => ReconcileAsync(queue, key, ct), _log, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private void QueueServices(WorkQueue<string> queue, V1Pod? old, V1Pod? now)
    {
        foreach (var key in ServiceQueueing.ServicesFor(_services.Cache, old, now))
            queue.Add(key);
    }

    /// <summary>Endpoints whose Service is gone (deleted while no controller ran) are queued, so the sync deletes them.</summary>
    private void QueueLeftovers(WorkQueue<string> queue)
    {
        foreach (var endpoints in _endpoints.Cache.List())
        {
            if (endpoints.Metadata.Annotations?.ContainsKey(LeaderAnnotation) == true)
                continue;
            if (_services.Cache.Get(ObjectKey.Of(endpoints)) is null)
                queue.Add(ObjectKey.Of(endpoints));
        }
    }

    private async Task ReconcileAsync(WorkQueue<string> queue, string key, CancellationToken ct)
    {
        var (ns, name) = ObjectKey.Split(key);
        if (_services.Cache.Get(key) is not { } service)
        {
            _triggerTimes.Forget(key);
            await DeleteAsync(ns!, name, ct);
            return;
        }
        if (!ServicePods.IsManaged(service))
            return;
        var pods = ServiceQueueing.PodsOf(_pods.Cache, service).ToList();
        var triggerTime = _triggerTimes.Compute(key, service, pods);
        var computed = EndpointSubsets.Compute(service, pods, _options.MaxAddresses);

        var current = _endpoints.Cache.Get(key);
        var labels = LabelsFor(service);
        if (current is not null
            && EndpointSubsets.Describe(current.Subsets) == EndpointSubsets.Describe(computed.Subsets)
            && SameMap(current.Metadata.Labels, labels)
            && current.Metadata.Annotations?.ContainsKey(EndpointLabels.OverCapacity) == computed.Truncated)
            return;

        var annotations = new Dictionary<string, string>(current?.Metadata.Annotations ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        if (triggerTime is { } time)
            annotations[EndpointLabels.LastChangeTriggerTime] = EndpointLabels.FormatTime(time);
        else
            annotations.Remove(EndpointLabels.LastChangeTriggerTime);
        if (computed.Truncated)
            annotations[EndpointLabels.OverCapacity] = "truncated";
        else
            annotations.Remove(EndpointLabels.OverCapacity);
        var desired = new V1Endpoints
        {
            ApiVersion = "v1",
            Kind = "Endpoints",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = ns,
                Labels = labels.Count == 0 ? null : labels,
                Annotations = annotations.Count == 0 ? null : annotations,
                ResourceVersion = current?.Metadata.ResourceVersion,
                // What others put on it (finalizers, owner references) stays.
                Finalizers = current?.Metadata.Finalizers,
                OwnerReferences = current?.Metadata.OwnerReferences,
            },
            Subsets = computed.Subsets,
        };
        if (computed.Truncated)
            _log.LogWarning("service {Service}: {Count} addresses, more than {Max}: Endpoints truncated (annotated {Annotation})", key, computed.Ready + computed.NotReady, _options.MaxAddresses, EndpointLabels.OverCapacity);
        await WriteAsync(queue, key, service, desired, create: current is null, computed, ct);
    }

    private async Task WriteAsync(WorkQueue<string> queue, string key, V1Service service, V1Endpoints desired, bool create, EndpointSubsets.Result computed, CancellationToken ct)
    {
        try
        {
            if (create)
            {
                // Not for a Service being deleted: its Endpoints are about to go too.
                if (service.Metadata.DeletionTimestamp is not null)
                    return;
                await _client.CoreV1.CreateNamespacedEndpointsAsync(desired, desired.Namespace(), cancellationToken: ct);
            }
            else
                await _client.CoreV1.ReplaceNamespacedEndpointsAsync(desired, desired.Name(), desired.Namespace(), cancellationToken: ct);
            _log.LogDebug("service {Service}: {Verb} Endpoints ({Ready} ready, {NotReady} not ready)", key, create ? "created" : "updated", computed.Ready, computed.NotReady);
        }
        catch (Exception e) when (!ct.IsCancellationRequested && IsNamespaceTerminating(e))
        {
            // Its namespace is being deleted: nothing new may be made there, and the Service goes with it.
        }
        catch (Exception e) when (!ct.IsCancellationRequested && KubeClient.IsConflict(e))
        {
            // Our cache is behind what is stored (often our own last write): decide again once it has caught up.
            _log.LogDebug("service {Service}: Endpoints changed meanwhile ({Error}); syncing again", key, KubeClient.Describe(e));
            queue.AddAfter(key, ConflictRetry);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            throw new InvalidOperationException($"{(create ? "creating" : "updating")} Endpoints {key} failed: {KubeClient.Describe(e)}", e);
        }
    }

    private async Task DeleteAsync(string ns, string name, CancellationToken ct)
    {
        if (_endpoints.Cache.Get(ns, name) is not { } endpoints || endpoints.Metadata.Annotations?.ContainsKey(LeaderAnnotation) == true)
            return;
        try
        {
            await _client.CoreV1.DeleteNamespacedEndpointsAsync(name, ns, cancellationToken: ct);
            _log.LogInformation("service {Namespace}/{Name} is gone: deleted its Endpoints", ns, name);
        }
        catch (Exception e) when (!ct.IsCancellationRequested && KubeClient.IsNotFound(e))
        {
            // Gone already.
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            throw new InvalidOperationException($"deleting Endpoints {ns}/{name} of a deleted Service failed: {KubeClient.Describe(e)}", e);
        }
    }

    /// <summary>The Service's labels, plus service.kubernetes.io/headless for a headless Service (upstream's rule for Endpoints).</summary>
    private static Dictionary<string, string> LabelsFor(V1Service service)
    {
        var labels = new Dictionary<string, string>(service.Metadata.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        if (ServicePods.IsHeadless(service))
            labels[EndpointLabels.Headless] = "";
        else
            labels.Remove(EndpointLabels.Headless);
        return labels;
    }

    private static bool SameMap(IDictionary<string, string>? a, IDictionary<string, string> b) =>
        (a?.Count ?? 0) == b.Count && (a ?? new Dictionary<string, string>()).All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);

    internal static bool IsNamespaceTerminating(Exception e) =>
        KubeClient.StatusOf(e) == 403 && KubeClient.Describe(e).Contains("being terminated", StringComparison.Ordinal);
}
