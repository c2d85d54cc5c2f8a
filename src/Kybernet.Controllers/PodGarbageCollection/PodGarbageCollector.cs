using k8s;
using k8s.Models;
using Kybernet.Client;
using Kybernet.Client.Informers;
using Kybernet.Controllers.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Controllers.PodGarbageCollection;

/// <summary>
/// kube-controller-manager's pod garbage collector. Every <see cref="PodGarbageCollectorOptions.Period"/> it
/// force-deletes (grace period 0, the pod's uid as precondition):
/// <list type="bullet">
/// <item>pods bound to a node that does not exist, once the node has been missing for the quarantine and the API
/// confirms it (no kubelet will ever finish them);</item>
/// <item>terminating pods on a node that is not Ready and carries the node.kubernetes.io/out-of-service taint (the
/// administrator's word that the node is down for good, so its pods may be replaced without waiting for it);</item>
/// <item>terminating pods bound to no node;</item>
/// <item>finished pods (Succeeded or Failed) beyond <see cref="PodGarbageCollectorOptions.TerminatedPodThreshold"/>,
/// oldest first.</item>
/// </list>
/// On the shared pod and node informers; each deletion is logged with its reason.
/// </summary>
public sealed class PodGarbageCollector : IController
{
    public const string OutOfServiceTaint = "node.kubernetes.io/out-of-service";

    private readonly IKubernetes _client;
    private readonly SharedInformer<V1Node> _nodes;
    private readonly SharedInformer<V1Pod> _pods;
    private readonly PodGarbageCollectorOptions _options;
    private readonly ILogger _log;

    public PodGarbageCollector(InformerFactory informers, PodGarbageCollectorOptions options, ILogger? log = null)
    {
        _client = informers.Client;
        _nodes = informers.Nodes();
        _pods = PodsByNodeIndex.Ensure(informers.For<V1Pod>(ApiResource.Pods));
        _options = options;
        _log = log ?? NullLogger.Instance;
    }

    public string Name => "pod-garbage-collector";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await _nodes.WaitForSyncAsync(cancellationToken);
        await _pods.WaitForSyncAsync(cancellationToken);
        // When each missing node was first found missing: its pods wait out the quarantine from then.
        var missingSince = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        using var timer = new PeriodicTimer(_options.Period, _options.Time);
        do
        {
            try
            {
                await PassAsync(missingSince, cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                _log.LogWarning(e, "a pod GC pass failed: {Error}; the next one is in {Period} s", e.Message, _options.Period.TotalSeconds);
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }

    private async Task PassAsync(Dictionary<string, DateTimeOffset> missingSince, CancellationToken ct)
    {
        var pods = _pods.Cache.List();
        await DeleteFinishedBeyondThresholdAsync(pods, ct);
        await DeleteOrphansAsync(pods, missingSince, ct);
        foreach (var pod in pods.Where(p => PodState.IsTerminating(p) && !PodState.IsScheduled(p)))
            await ForceDeleteAsync(pod, "it is terminating and bound to no node", ct);
        foreach (var node in _nodes.Cache.List().Where(IsOutOfService))
            foreach (var pod in PodsByNodeIndex.On(_pods, node.Name()).Where(PodState.IsTerminating))
                await ForceDeleteAsync(pod, $"it is terminating on node {node.Name()}, which is out of service", ct);
    }

    private async Task DeleteFinishedBeyondThresholdAsync(IReadOnlyList<V1Pod> pods, CancellationToken ct)
    {
        if (_options.TerminatedPodThreshold <= 0)
            return;
        var finished = pods.Where(p => PodState.IsFinished(p) && !PodState.IsTerminating(p)).ToList();
        var excess = finished.Count - _options.TerminatedPodThreshold;
        if (excess <= 0)
            return;
        foreach (var pod in finished.OrderBy(p => p.Metadata.CreationTimestamp ?? DateTime.MinValue).Take(excess))
            await ForceDeleteAsync(pod, $"{finished.Count} finished pods exceed the threshold of {_options.TerminatedPodThreshold}", ct);
    }

    private async Task DeleteOrphansAsync(IReadOnlyList<V1Pod> pods, Dictionary<string, DateTimeOffset> missingSince, CancellationToken ct)
    {
        var now = _options.Time.GetUtcNow();
        var missing = pods.Where(PodState.IsScheduled).Select(p => p.Spec.NodeName).Where(n => _nodes.Cache.Get(n) is null).ToHashSet(StringComparer.Ordinal);
        foreach (var name in missingSince.Keys.Where(n => !missing.Contains(n)).ToList())
            missingSince.Remove(name);
        foreach (var node in missing)
        {
            if (!missingSince.TryGetValue(node, out var since))
                missingSince[node] = since = now;
            if (now - since < _options.Quarantine || !await IsGoneAsync(node, ct))
                continue;
            foreach (var pod in PodsByNodeIndex.On(_pods, node))
                await ForceDeleteAsync(pod, $"its node {node} does not exist", ct);
        }
    }

    /// <summary>Asks the API, not the cache, before deleting a node's pods: a lagging cache must not cost them.</summary>
    private async Task<bool> IsGoneAsync(string node, CancellationToken ct)
    {
        try
        {
            await _client.CoreV1.ReadNodeAsync(node, cancellationToken: ct);
            return false;
        }
        catch (Exception e) when (KubeClient.IsNotFound(e))
        {
            return true;
        }
    }

    private static bool IsOutOfService(V1Node node) =>
        node.Spec?.Taints?.Any(t => t.Key == OutOfServiceTaint) == true
        && node.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready")?.Status != "True";

    private async Task ForceDeleteAsync(V1Pod pod, string why, CancellationToken ct)
    {
        try
        {
            await _client.CoreV1.DeleteNamespacedPodAsync(pod.Name(), pod.Namespace(), new V1DeleteOptions
            {
                GracePeriodSeconds = 0,
                Preconditions = new V1Preconditions { Uid = pod.Uid() },
            }, cancellationToken: ct);
            _log.LogInformation("force-deleted pod {Namespace}/{Pod}: {Why}", pod.Namespace(), pod.Name(), why);
        }
        catch (Exception e) when (KubeClient.IsNotFound(e) || KubeClient.IsConflict(e))
        {
            // Gone already, or another pod under that name now.
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            _log.LogWarning("force-deleting pod {Namespace}/{Pod} ({Why}) failed: {Error}", pod.Namespace(), pod.Name(), why, KubeClient.Describe(e));
        }
    }
}
