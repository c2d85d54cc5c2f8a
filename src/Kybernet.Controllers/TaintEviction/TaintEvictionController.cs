using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kybernet.Client;
using Kybernet.Client.Informers;
using Kybernet.Client.Queues;
using Kybernet.Controllers.Common;
using Kybernet.Controllers.NodeLifecycle;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Controllers.TaintEviction;

/// <summary>
/// kube-controller-manager's taint eviction controller (the "taint manager"): a pod on a node with NoExecute taints is
/// deleted at once if it does not tolerate one of them, after its tolerationSeconds if it tolerates them for a while,
/// never if it tolerates them for good (<see cref="EvictionTime"/>). A taint that goes away before the deadline saves the
/// pod: the pod is decided again at its deadline from the node as it is then. Each eviction is a normal, graceful
/// deletion (with the pod's uid as precondition), preceded by upstream's DisruptionTarget pod condition and a
/// TaintManagerEviction event on the pod; the pod's controller
/// replaces it, since a terminating pod no longer counts.
/// <para>On the shared node and pod informers, with a work queue of pod keys ("namespace/name").</para>
/// </summary>
public sealed class TaintEvictionController : IController
{
    public const string EvictionReason = "TaintManagerEviction";

    private readonly IKubernetes _client;
    private readonly SharedInformer<V1Node> _nodes;
    private readonly SharedInformer<V1Pod> _pods;
    private readonly TaintEvictionOptions _options;
    private readonly ILogger _log;
    // When this controller first saw a taint that has no timeAdded ("node\nkey\neffect"), its stand-in start.
    private readonly Dictionary<string, DateTimeOffset> _firstSeen = new(StringComparer.Ordinal);

    public TaintEvictionController(InformerFactory informers, TaintEvictionOptions options, ILogger? log = null)
    {
        _client = informers.Client;
        _nodes = informers.Nodes();
        _pods = PodsByNodeIndex.Ensure(informers.For<V1Pod>(ApiResource.Pods));
        _options = options;
        _log = log ?? NullLogger.Instance;
    }

    public string Name => "taint-eviction-controller";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var queue = new WorkQueue<string>(new WorkQueueOptions { BaseDelay = _options.RetryInterval, MaxDelay = _options.RetryInterval * 50, Time = _options.Time });
        void OnNode(V1Node node)
        {
            if (EvictionTime.NoExecute(node).Count == 0)
                return;
            foreach (var pod in PodsByNodeIndex.On(_pods, node.Name()))
                queue.Add(ObjectKey.Of(pod));
        }
        void OnPod(V1Pod pod)
        {
            // Only pods on a node with NoExecute taints have anything to fear.
            if (PodState.IsScheduled(pod) && !PodState.IsTerminating(pod) && EvictionTime.NoExecute(_nodes.Cache.Get(pod.Spec.NodeName)).Count > 0)
                queue.Add(ObjectKey.Of(pod));
        }
        using var onNode = _nodes.AddHandler(new InformerHandler<V1Node>(OnAdd: OnNode, OnUpdate: (_, node) => OnNode(node)));
        using var onPod = _pods.AddHandler(new InformerHandler<V1Pod>(OnAdd: OnPod, OnUpdate: (_, pod) => OnPod(pod)));
        await _nodes.WaitForSyncAsync(cancellationToken);
        await _pods.WaitForSyncAsync(cancellationToken);
        await using var events = new EventRecorder(_client, "taint-eviction-controller", _log, _options.Time);
        await QueueWorkers.RunAsync(queue, workers: 2, (key, ct) => ReconcileAsync(queue, events, key, ct), _log, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private async Task ReconcileAsync(WorkQueue<string> queue, EventRecorder events, string key, CancellationToken ct)
    {
        if (_pods.Cache.Get(key) is not { } pod || !PodState.IsScheduled(pod) || PodState.IsTerminating(pod))
            return;
        var nodeName = pod.Spec.NodeName;
        var taints = EvictionTime.NoExecute(_nodes.Cache.Get(nodeName));
        if (taints.Count == 0)
            return; // no taint, or it went away before the deadline: nothing to do
        var now = _options.Time.GetUtcNow();
        if (EvictionTime.For(taints, pod.Spec.Tolerations, taint => FirstSeen(nodeName, taint, now)) is not { } due)
            return; // tolerated for good
        if (due > now)
        {
            queue.AddAfter(key, due - now);
            return;
        }
        await EvictAsync(pod, taints, events, ct);
    }

    /// <summary>
    /// Upstream's DisruptionTarget condition (reason DeletionByTaintManager), written before the deletion so the pod's
    /// owner (a Job's pod failure policy) can tell why it went. Best effort: a failure is logged and the eviction goes on.
    /// </summary>
    private async Task MarkDisruptedAsync(V1Pod pod, CancellationToken ct)
    {
        var patch = new JsonObject
        {
            ["status"] = new JsonObject
            {
                ["conditions"] = new JsonArray(new JsonObject
                {
                    ["type"] = "DisruptionTarget",
                    ["status"] = "True",
                    ["reason"] = "DeletionByTaintManager",
                    ["message"] = "Taint manager: deleting due to NoExecute taint",
                    ["lastTransitionTime"] = Times.Rfc3339(_options.Time.GetUtcNow().UtcDateTime),
                }),
            },
        };
        try
        {
            await _client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(patch.ToJsonString(), V1Patch.PatchType.StrategicMergePatch), pod.Name(), pod.Namespace(), cancellationToken: ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested && !KubeClient.IsNotFound(e))
        {
            _log.LogWarning("pod {Namespace}/{Pod}: writing the DisruptionTarget condition failed: {Error}", pod.Namespace(), pod.Name(), KubeClient.Describe(e));
        }
        catch (Exception e) when (KubeClient.IsNotFound(e))
        {
            // Gone already: the delete below finds the same.
        }
    }

    private DateTimeOffset FirstSeen(string node, V1Taint taint, DateTimeOffset now)
    {
        lock (_firstSeen)
        {
            var key = $"{node}\n{taint.Key}\n{taint.Effect}";
            if (!_firstSeen.TryGetValue(key, out var seen))
                _firstSeen[key] = seen = now;
            return seen;
        }
    }

    private async Task EvictAsync(V1Pod pod, IReadOnlyList<V1Taint> taints, EventRecorder events, CancellationToken ct)
    {
        var (ns, name) = (pod.Namespace(), pod.Name());
        events.Record(pod, "v1", "Pod", EventRecorder.Normal, EvictionReason, $"Marking for deletion Pod {ns}/{name}");
        await MarkDisruptedAsync(pod, ct);
        try
        {
            await _client.CoreV1.DeleteNamespacedPodAsync(name, ns, new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = pod.Uid() } }, cancellationToken: ct);
        }
        catch (Exception e) when (KubeClient.IsNotFound(e) || KubeClient.IsConflict(e))
        {
            return; // gone already, or another pod under the name now
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            throw new InvalidOperationException($"evicting pod {ns}/{name} from node {pod.Spec.NodeName} failed: {KubeClient.Describe(e)}", e);
        }
        _log.LogInformation("pod {Namespace}/{Pod} evicted from node {Node} for its NoExecute taints {Taints}", ns, name, pod.Spec.NodeName,
            string.Join(", ", taints.Select(t => $"{t.Key}:{t.Effect}")));
    }
}
