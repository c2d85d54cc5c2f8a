using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kybernet.Client;
using Kybernet.Client.Informers;
using Kybernet.Client.Queues;
using Kybernet.Controllers.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Controllers.NodeLifecycle;

/// <summary>
/// kube-controller-manager's node lifecycle controller. Nodes heartbeat by renewing their Lease in kube-node-lease and by
/// posting their Ready condition; a node not heard from for <see cref="NodeLifecycleOptions.GracePeriod"/> has its
/// kubelet's conditions (Ready, MemoryPressure, DiskPressure, PIDPressure) set to Unknown through nodes/status, its pods
/// marked not Ready (so Services stop sending them traffic), and a NodeNotReady event. Apart from that, every node's
/// taints follow its conditions and spec.unschedulable (<see cref="ConditionTaints"/>): Ready=Unknown gives the
/// unreachable NoExecute and NoSchedule taints, which the taint eviction controller acts on; a node that heartbeats
/// again, and so posts Ready=True, loses them.
/// <para>
/// On the shared node, lease and pod informers and a work queue of node names with one worker: a node is looked at when
/// it or its lease changes, when its grace period would run out, and every <see cref="NodeLifecycleOptions.MonitorPeriod"/>.
/// Writes carry the resourceVersion they were decided on; a conflict means a newer view, which is decided again.
/// </para>
/// </summary>
public sealed class NodeLifecycleController : IController
{
    public const string LeaseNamespace = "kube-node-lease";
    public const string StoppedReason = "NodeStatusUnknown";
    public const string StoppedMessage = "Kubelet stopped posting node status.";
    public const string NeverReason = "NodeStatusNeverUpdated";
    public const string NeverMessage = "Kubelet never posted node status.";

    /// <summary>The conditions the kubelet posts, which go Unknown when it falls silent (upstream's list).</summary>
    public static readonly string[] KubeletConditions = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"];

    private readonly IKubernetes _client;
    private readonly SharedInformer<V1Node> _nodes;
    private readonly SharedInformer<V1Lease> _leases;
    private readonly SharedInformer<V1Pod> _pods;
    private readonly NodeLifecycleOptions _options;
    private readonly ILogger _log;

    public NodeLifecycleController(InformerFactory informers, NodeLifecycleOptions options, ILogger? log = null)
    {
        _client = informers.Client;
        _nodes = informers.Nodes();
        _leases = informers.For<V1Lease>(ApiResource.Leases, LeaseNamespace);
        _pods = PodsByNodeIndex.Ensure(informers.For<V1Pod>(ApiResource.Pods));
        _options = options;
        _log = log ?? NullLogger.Instance;
    }

    public string Name => "node-lifecycle";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var health = new NodeHealth();
        using var queue = new WorkQueue<string>(new WorkQueueOptions { BaseDelay = _options.RetryInterval, MaxDelay = _options.RetryInterval * 50, Time = _options.Time });
        using var onNode = _nodes.AddHandler(InformerHandler<V1Node>.OnAny(node => queue.Add(node.Name())));
        using var onLease = _leases.AddHandler(new InformerHandler<V1Lease>(OnAdd: lease => queue.Add(lease.Name()), OnUpdate: (_, lease) => queue.Add(lease.Name())));
        await _nodes.WaitForSyncAsync(cancellationToken);
        await _leases.WaitForSyncAsync(cancellationToken);
        await _pods.WaitForSyncAsync(cancellationToken);
        await using var events = new EventRecorder(_client, "node-controller", _log, _options.Time);
        _log.LogInformation("watching node heartbeats: grace period {Grace} s, monitor period {Period} s", _options.GracePeriod.TotalSeconds, _options.MonitorPeriod.TotalSeconds);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var monitor = MonitorAsync(queue, stop.Token);
        try
        {
            await QueueWorkers.RunAsync(queue, workers: 1, (name, ct) => ReconcileAsync(health, queue, events, name, ct), _log, cancellationToken);
        }
        finally
        {
            await stop.CancelAsync();
            await monitor;
        }
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Every monitor period, every node is looked at again (level-triggered: whatever an event missed).</summary>
    private async Task MonitorAsync(WorkQueue<string> queue, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_options.MonitorPeriod, _options.Time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
                foreach (var node in _nodes.Cache.List())
                    queue.Add(node.Name());
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task ReconcileAsync(NodeHealth health, WorkQueue<string> queue, EventRecorder events, string name, CancellationToken ct)
    {
        if (_nodes.Cache.Get(name) is not { } node)
        {
            health.Forget(name);
            return;
        }
        var now = _options.Time.GetUtcNow();
        var alive = health.Observe(node, _leases.Cache.Get(LeaseNamespace, name), now);
        var silentUntil = alive + _options.GracePeriod;
        if (now > silentUntil)
            node = await MarkUnknownAsync(node, events, now, ct) ?? node;
        else
            queue.AddAfter(name, silentUntil - now + TimeSpan.FromMilliseconds(10)); // look again when its grace runs out

        if (ConditionTaints.Reconcile(node, Times.Seconds(now)) is { } taints)
            await WriteTaintsAsync(node, taints, ct);
    }

    /// <summary>Sets the kubelet's conditions to Unknown; returns the node as written (null if nothing changed or it changed meanwhile).</summary>
    private async Task<V1Node?> MarkUnknownAsync(V1Node cached, EventRecorder events, DateTimeOffset now, CancellationToken ct)
    {
        var node = KubernetesJson.Deserialize<V1Node>(KubernetesJson.Serialize(cached));
        var wasReady = NodeHealth.Ready(node)?.Status;
        var at = Times.Seconds(now);
        node.Status ??= new V1NodeStatus();
        node.Status.Conditions ??= [];
        bool changed = false;
        foreach (var type in KubeletConditions)
        {
            var condition = node.Status.Conditions.FirstOrDefault(c => c.Type == type);
            if (condition is null)
            {
                node.Status.Conditions.Add(new V1NodeCondition
                {
                    Type = type,
                    Status = "Unknown",
                    Reason = NeverReason,
                    Message = NeverMessage,
                    LastHeartbeatTime = node.Metadata.CreationTimestamp,
                    LastTransitionTime = at,
                });
                changed = true;
            }
            else if (condition.Status != "Unknown")
            {
                (condition.Status, condition.Reason, condition.Message, condition.LastTransitionTime) = ("Unknown", StoppedReason, StoppedMessage, at);
                changed = true;
            }
        }
        if (!changed)
            return null;
        V1Node written;
        try
        {
            written = await _client.CoreV1.ReplaceNodeStatusAsync(node, node.Name(), cancellationToken: ct);
        }
        catch (Exception e) when (KubeClient.IsConflict(e) || KubeClient.IsNotFound(e))
        {
            return null; // it changed (perhaps a heartbeat) or went meanwhile: its informer event decides again
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            throw new InvalidOperationException($"setting node {node.Name()}'s conditions to Unknown failed: {KubeClient.Describe(e)}", e);
        }
        _log.LogInformation("node {Node}: no heartbeat for {Grace} s, conditions set to Unknown (Ready was {Ready})", node.Name(), _options.GracePeriod.TotalSeconds, wasReady ?? "never posted");
        if (wasReady == "True")
        {
            events.Record(written, "v1", "Node", EventRecorder.Normal, "NodeNotReady", $"Node {node.Name()} status is now: NodeNotReady");
            await MarkPodsNotReadyAsync(node.Name(), ct);
        }
        return written;
    }

    /// <summary>
    /// Upstream's MarkPodsNotReady: the pods of a node that stopped answering lose their Ready condition, so endpoints
    /// drop them before they are evicted. A failure is logged; the kubelet, if it comes back, posts the truth anyway.
    /// </summary>
    private async Task MarkPodsNotReadyAsync(string node, CancellationToken ct)
    {
        foreach (var pod in PodsByNodeIndex.On(_pods, node))
        {
            if (PodState.Condition(pod, "Ready") is not { Status: "True" })
                continue;
            var patch = new JsonObject
            {
                ["status"] = new JsonObject
                {
                    ["conditions"] = new JsonArray(new JsonObject
                    {
                        ["type"] = "Ready",
                        ["status"] = "False",
                        ["lastTransitionTime"] = Times.Rfc3339(_options.Time.GetUtcNow().UtcDateTime),
                    }),
                },
            };
            try
            {
                await _client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(patch.ToJsonString(), V1Patch.PatchType.StrategicMergePatch), pod.Name(), pod.Namespace(), cancellationToken: ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                if (!KubeClient.IsNotFound(e))
                    _log.LogWarning("node {Node}: marking pod {Namespace}/{Pod} not ready failed: {Error}", node, pod.Namespace(), pod.Name(), KubeClient.Describe(e));
            }
        }
    }

    private async Task WriteTaintsAsync(V1Node node, IList<V1Taint> taints, CancellationToken ct)
    {
        var patch = new JsonObject
        {
            // A precondition: decided on this version of the node; if it changed, it is decided again.
            ["metadata"] = new JsonObject { ["resourceVersion"] = node.ResourceVersion() },
            ["spec"] = new JsonObject
            {
                ["taints"] = taints.Count == 0 ? null : new JsonArray([.. taints.Select(ToJson)]),
            },
        };
        try
        {
            await _client.CoreV1.PatchNodeAsync(new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), node.Name(), cancellationToken: ct);
        }
        catch (Exception e) when (KubeClient.IsConflict(e) || KubeClient.IsNotFound(e))
        {
            return; // changed or deleted meanwhile: its informer event is on the way
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            throw new InvalidOperationException($"writing node {node.Name()}'s taints failed: {KubeClient.Describe(e)}", e);
        }
        var before = (node.Spec?.Taints ?? []).Where(t => ConditionTaints.OwnedKeys.Contains(t.Key)).Select(Describe).ToHashSet();
        var after = taints.Where(t => ConditionTaints.OwnedKeys.Contains(t.Key)).Select(Describe).ToHashSet();
        var added = after.Except(before).ToList();
        var removed = before.Except(after).ToList();
        _log.LogInformation("node {Node}: taints{Added}{Removed}", node.Name(),
            added.Count > 0 ? " added " + string.Join(", ", added) : "",
            removed.Count > 0 ? " removed " + string.Join(", ", removed) : "");
    }

    private static string Describe(V1Taint taint) => $"{taint.Key}:{taint.Effect}";

    private static JsonObject ToJson(V1Taint taint)
    {
        var json = new JsonObject { ["key"] = taint.Key };
        if (!string.IsNullOrEmpty(taint.Value))
            json["value"] = taint.Value;
        json["effect"] = taint.Effect;
        if (taint.TimeAdded is { } added)
            json["timeAdded"] = Times.Rfc3339(added);
        return json;
    }
}
