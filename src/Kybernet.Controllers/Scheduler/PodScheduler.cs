using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kybernet.Client;
using Kybernet.Client.Informers;
using Kybernet.Controllers.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Controllers.Scheduler;

/// <summary>
/// kube-scheduler, run by the controller manager: places every pod whose spec.schedulerName is
/// <see cref="SchedulerOptions.SchedulerName"/> (others are left to their scheduler) on a node, through pods/NAME/binding.
/// <list type="bullet">
/// <item>Unbound pods (not terminating, not finished) wait in a <see cref="SchedulingQueue"/>; bound ones fill the
/// <see cref="SchedulerCache"/>'s per-node sums.</item>
/// <item>One loop takes a pod at a time, decides (<see cref="Placement"/>) under the cache's lock, assumes it on the chosen
/// node at once, and sends the binding in the background: up to <see cref="SchedulerOptions.MaxBindingsInFlight"/> are
/// in flight while the loop decides the next pods. A binding that fails forgets the assumption and the pod is retried
/// after its backoff.</item>
/// <item>A pod that fits nowhere gets PodScheduled=False (reason Unschedulable, upstream's message) through pods/status and
/// a Warning FailedScheduling event, and waits in the unschedulable set until nodes or pods change.</item>
/// <item>A bound pod gets a Normal Scheduled event, "Successfully assigned NS/POD to NODE".</item>
/// </list>
/// </summary>
public sealed class PodScheduler : IController
{
    private readonly IKubernetes _client;
    private readonly SharedInformer<V1Pod> _pods;
    private readonly SharedInformer<V1Node> _nodes;
    private readonly SharedInformer<V1Namespace> _namespaces;
    private readonly SchedulerOptions _options;
    private readonly ILogger _log;

    public PodScheduler(InformerFactory informers, SchedulerOptions options, ILogger? log = null)
    {
        _client = informers.Client;
        _pods = informers.For<V1Pod>(ApiResource.Pods);
        _nodes = informers.Nodes();
        _namespaces = informers.For<V1Namespace>(ApiResource.Namespaces);
        _options = options;
        _log = log ?? NullLogger.Instance;
    }

    public string Name => "scheduler";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var cache = new SchedulerCache();
        using var queue = new SchedulingQueue(_options);
        await using var events = new EventRecorder(_client, _options.SchedulerName, _log);
        var run = new Run(this, cache, queue, events);
        using var onNode = _nodes.AddHandler(new InformerHandler<V1Node>(run.OnNodeAdd, run.OnNodeUpdate, run.OnNodeDelete));
        using var onPod = _pods.AddHandler(new InformerHandler<V1Pod>(run.OnPodAdd, run.OnPodUpdate, run.OnPodDelete));
        await Task.WhenAll(_nodes.WaitForSyncAsync(cancellationToken), _pods.WaitForSyncAsync(cancellationToken), _namespaces.WaitForSyncAsync(cancellationToken));
        _log.LogInformation("scheduling pods of {SchedulerName} on {Nodes} node(s)", _options.SchedulerName, cache.NodeCount);
        await run.ScheduleAsync(cancellationToken);
    }

    /// <summary>One run's state: its cache, queue and event recorder, and the slots of the work it has in flight.</summary>
    private sealed class Run(PodScheduler scheduler, SchedulerCache cache, SchedulingQueue queue, EventRecorder events)
    {
        private readonly SemaphoreSlim _slots = new(scheduler._options.MaxBindingsInFlight);
        private readonly Placement _placement = new(ns => scheduler._namespaces.Cache.Get(ns)?.Metadata, scheduler._options.PercentageOfNodesToScore);
        private ILogger Log => scheduler._log;

        public async Task ScheduleAsync(CancellationToken ct)
        {
            var flushing = FlushAsync(ct);
            try
            {
                while (true)
                {
                    var entry = await queue.TakeAsync(ct);
                    // A slot per attempt, held until its binding or status write is answered: the loop runs ahead of
                    // the API by at most MaxBindingsInFlight pods.
                    await _slots.WaitAsync(ct);
                    ScheduleOne(entry, ct);
                }
            }
            finally
            {
                // Stopping: what is in flight ends with the cancelled token; wait for it so nothing outlives the run.
                for (int i = 0; i < scheduler._options.MaxBindingsInFlight; i++)
                    await _slots.WaitAsync(CancellationToken.None);
                await flushing;
                _slots.Dispose();
            }
        }

        private void ScheduleOne(SchedulingQueue.Entry entry, CancellationToken ct)
        {
            var pod = entry.Pod;
            if (cache.IsAssumedOrBound(entry.Key) || !IsOurs(pod))
            {
                queue.Done(entry);
                _slots.Release();
                return;
            }
            var info = new PodInfo(pod);
            var result = cache.Locked(view =>
            {
                var decision = _placement.Decide(info, view);
                if (decision.Node is { } node)
                    view.Assume(info, node);
                return decision;
            });
            _ = result.Node is { } chosen
                ? BindAsync(entry, chosen, ct)
                : RecordUnschedulableAsync(entry, result.Failure!, ct);
        }

        private async Task BindAsync(SchedulingQueue.Entry entry, string node, CancellationToken ct)
        {
            var pod = entry.Pod;
            try
            {
                await scheduler._client.CoreV1.CreateNamespacedPodBindingAsync(new V1Binding
                {
                    ApiVersion = "v1",
                    Kind = "Binding",
                    Metadata = new V1ObjectMeta { Name = pod.Metadata.Name, NamespaceProperty = pod.Metadata.NamespaceProperty, Uid = pod.Metadata.Uid },
                    Target = new V1ObjectReference { ApiVersion = "v1", Kind = "Node", Name = node },
                }, pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: ct);
                queue.Done(entry);
                events.Record(pod, "v1", "Pod", EventRecorder.Normal, "Scheduled", $"Successfully assigned {entry.Key} to {node}");
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                cache.Forget(entry.Key);
            }
            catch (Exception e)
            {
                cache.Forget(entry.Key);
                if (KubeClient.IsNotFound(e))
                    queue.Done(entry); // deleted meanwhile
                else if (KubeClient.IsConflict(e))
                {
                    // Bound by someone else, or being deleted: the informer brings what happened.
                    Log.LogInformation("pod {Pod}: binding to {Node} refused: {Error}", entry.Key, node, KubeClient.Describe(e));
                    queue.Done(entry);
                }
                else
                {
                    Log.LogWarning("pod {Pod}: binding to {Node} failed, retrying after backoff: {Error}", entry.Key, node, KubeClient.Describe(e));
                    events.Record(pod, "v1", "Pod", EventRecorder.Warning, "FailedScheduling", $"Binding rejected: {KubeClient.Describe(e)}");
                    queue.Requeue(entry, unschedulable: false);
                }
                // The assumption held resources others may now use.
                queue.MoveAllToActiveOrBackoff();
            }
            finally
            {
                _slots.Release();
            }
        }

        private async Task RecordUnschedulableAsync(SchedulingQueue.Entry entry, string message, CancellationToken ct)
        {
            try
            {
                queue.Requeue(entry, unschedulable: true);
                var pod = scheduler._pods.Cache.Get(entry.Key) ?? entry.Pod;
                Log.LogInformation("pod {Pod} is unschedulable: {Message}", entry.Key, message);
                events.Record(pod, "v1", "Pod", EventRecorder.Warning, "FailedScheduling", message);
                var scheduled = PodState.Condition(pod, "PodScheduled");
                if (scheduled is { Status: "False", Reason: "Unschedulable" } && scheduled.Message == message)
                    return; // told already
                var condition = new JsonObject
                {
                    ["type"] = "PodScheduled",
                    ["status"] = "False",
                    ["reason"] = "Unschedulable",
                    ["message"] = message,
                    ["lastProbeTime"] = null,
                    ["lastTransitionTime"] = scheduled is { Status: "False", LastTransitionTime: { } since }
                        ? Timestamp(since)
                        : Timestamp(DateTime.UtcNow),
                };
                var patch = new JsonObject { ["status"] = new JsonObject { ["conditions"] = new JsonArray(condition) } };
                await scheduler._client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(patch.ToJsonString(), V1Patch.PatchType.StrategicMergePatch),
                    pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // stopping
            }
            catch (Exception e) when (KubeClient.IsNotFound(e))
            {
                // deleted meanwhile
            }
            catch (Exception e)
            {
                Log.LogWarning("pod {Pod}: writing its PodScheduled=False condition failed: {Error}", entry.Key, KubeClient.Describe(e));
            }
            finally
            {
                _slots.Release();
            }
        }

        private async Task FlushAsync(CancellationToken ct)
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
            try
            {
                while (await timer.WaitForNextTickAsync(ct))
                    queue.Flush();
            }
            catch (OperationCanceledException)
            {
                // stopping
            }
        }

        // ----- informer handlers: on the informer's thread, so they only update the cache and the queue.

        public void OnNodeAdd(V1Node node)
        {
            cache.SetNode(node);
            queue.MoveAllToActiveOrBackoff();
        }

        public void OnNodeUpdate(V1Node old, V1Node node)
        {
            if (cache.SetNode(node))
                queue.MoveAllToActiveOrBackoff();
        }

        public void OnNodeDelete(V1Node node) => cache.RemoveNode(node.Metadata.Name);

        public void OnPodAdd(V1Pod pod) => OnPod(pod, isNew: true);

        public void OnPodUpdate(V1Pod old, V1Pod pod)
        {
            if (PodState.IsScheduled(pod) && !PodState.IsScheduled(old) || PodState.IsFinished(pod) && !PodState.IsFinished(old))
                queue.Delete(ObjectKey.Of(pod));
            OnPod(pod, isNew: false);
        }

        public void OnPodDelete(V1Pod pod)
        {
            var key = ObjectKey.Of(pod);
            queue.Delete(key);
            if (cache.RemovePod(key))
                queue.MoveAllToActiveOrBackoff(); // its resources, ports and anti-affinity are free
        }

        private void OnPod(V1Pod pod, bool isNew)
        {
            var key = ObjectKey.Of(pod);
            if (PodState.IsScheduled(pod))
            {
                if (PodState.IsFinished(pod))
                {
                    if (cache.RemovePod(key))
                        queue.MoveAllToActiveOrBackoff();
                }
                else if (cache.AddOrUpdateBoundPod(pod) && !isNew)
                    queue.MoveAllToActiveOrBackoff(); // its labels changed: affinity to it may now hold
                return;
            }
            if (!IsOurs(pod) || PodState.IsTerminating(pod) || PodState.IsFinished(pod))
            {
                queue.Delete(key);
                return;
            }
            if (cache.IsAssumedOrBound(key))
                return; // a stale copy from before our binding: the bound one follows
            queue.AddOrUpdate(pod);
        }

        private bool IsOurs(V1Pod pod) =>
            (string.IsNullOrEmpty(pod.Spec?.SchedulerName) ? "default-scheduler" : pod.Spec.SchedulerName) == scheduler._options.SchedulerName;

        private static string Timestamp(DateTime time) =>
            DateTime.SpecifyKind(time, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
    }
}
