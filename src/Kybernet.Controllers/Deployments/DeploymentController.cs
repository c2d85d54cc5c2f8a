using k8s;
using k8s.Models;
using Kybernet.Client;
using Kybernet.Client.Informers;
using Kybernet.Client.Queues;
using Kybernet.Controllers.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Controllers.Deployments;

/// <summary>
/// kube-controller-manager's deployment controller: a Deployment owns ReplicaSets, one per pod template it has had
/// (named DEPLOYMENT-HASH by <see cref="PodTemplateHash"/>), and moves replicas from the old ones to the one of its
/// current template, by its strategy (a rolling update bounded by maxSurge and maxUnavailable, or Recreate), then
/// keeps its status, conditions and revision annotations as upstream does. The ReplicaSet controller makes the pods.
/// On the shared informers of deployments, replicasets and pods, with a work queue of Deployment keys.
/// </summary>
public sealed partial class DeploymentController : IController
{
    internal const string ApiVersion = "apps/v1";
    internal const string Kind = "Deployment";

    private readonly IKubernetes _client;
    private readonly SharedInformer<V1Deployment> _deployments;
    private readonly SharedInformer<V1ReplicaSet> _replicaSets;
    private readonly SharedInformer<V1Pod> _pods;
    private readonly DeploymentControllerOptions _options;
    private readonly ILogger _log;
    private EventRecorder? _events;
    private WorkQueue<string>? _queue;

    public DeploymentController(InformerFactory informers, DeploymentControllerOptions? options = null, ILogger? log = null)
    {
        _client = informers.Client;
        _deployments = informers.For<V1Deployment>(ApiResource.Deployments);
        _replicaSets = informers.For<V1ReplicaSet>(ApiResource.ReplicaSets);
        _pods = informers.For<V1Pod>(ApiResource.Pods);
        _options = options ?? new DeploymentControllerOptions();
        _log = log ?? NullLogger.Instance;
    }

    public string Name => "deployment";

    private EventRecorder Events => _events ?? throw new InvalidOperationException("the controller is not running");

    private WorkQueue<string> Queue => _queue ?? throw new InvalidOperationException("the controller is not running");

    private DateTime Now
    {
        get
        {
            // Whole seconds, as the API keeps condition times: what we compare is what was stored.
            var now = _options.Time.GetUtcNow().UtcDateTime;
            return new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var queue = new WorkQueue<string>(new WorkQueueOptions { BaseDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromSeconds(30), Time = _options.Time });
        await using var events = new EventRecorder(_client, "deployment-controller", _log, _options.Time);
        _queue = queue;
        _events = events;
        using var onDeployment = _deployments.AddHandler(InformerHandler<V1Deployment>.OnAny(d => queue.Add(ObjectKey.Of(d))));
        using var onReplicaSet = _replicaSets.AddHandler(new InformerHandler<V1ReplicaSet>(OnReplicaSetAdded, OnReplicaSetUpdated, OnReplicaSetDeleted));
        using var onPod = _pods.AddHandler(new InformerHandler<V1Pod>(OnDelete: OnPodDeleted));
        await _deployments.WaitForSyncAsync(cancellationToken);
        await _replicaSets.WaitForSyncAsync(cancellationToken);
        await _pods.WaitForSyncAsync(cancellationToken);
        await QueueWorkers.RunAsync(queue, Math.Max(1, _options.Workers), ReconcileAsync, _log, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
    }

    // ---- who to wake ----

    private void OnReplicaSetAdded(V1ReplicaSet rs)
    {
        if (OwnerOf(rs) is { } owner)
            Queue.Add(ObjectKey.Of(owner));
        else if (ControllerRefs.ControllerOf(rs.Metadata) is null)
            foreach (var d in MatchingDeployments(rs))
                Queue.Add(ObjectKey.Of(d)); // an orphan: whoever selects it may adopt it
    }

    private void OnReplicaSetUpdated(V1ReplicaSet old, V1ReplicaSet now)
    {
        var oldRef = ControllerRefs.ControllerOf(old.Metadata);
        var newRef = ControllerRefs.ControllerOf(now.Metadata);
        if (oldRef is not null && oldRef.Uid != newRef?.Uid && OwnerOf(old) is { } formerOwner)
            Queue.Add(ObjectKey.Of(formerOwner)); // released or taken over: the former owner counts again
        if (newRef is not null)
        {
            if (OwnerOf(now) is { } owner)
                Queue.Add(ObjectKey.Of(owner));
            return;
        }
        if (!SameLabels(old, now) || oldRef is not null)
            foreach (var d in MatchingDeployments(now))
                Queue.Add(ObjectKey.Of(d));
    }

    private void OnReplicaSetDeleted(V1ReplicaSet rs)
    {
        if (OwnerOf(rs) is { } owner)
            Queue.Add(ObjectKey.Of(owner));
    }

    /// <summary>A Recreate rollout waits for the old pods to be gone: the last one going is its signal.</summary>
    private void OnPodDeleted(V1Pod pod)
    {
        if (ControllerRefs.ControllerOf(pod.Metadata) is not { Kind: "ReplicaSet" } rsRef)
            return;
        if (_replicaSets.Cache.Get(pod.Namespace(), rsRef.Name) is not { } rs || rs.Metadata.Uid != rsRef.Uid)
            return;
        if (OwnerOf(rs) is { } d && !RolloutMath.IsRollingUpdate(d))
            Queue.Add(ObjectKey.Of(d));
    }

    /// <summary>The Deployment that controls the ReplicaSet, if it is in the cache with the referenced uid.</summary>
    private V1Deployment? OwnerOf(V1ReplicaSet rs) =>
        ControllerRefs.ControllerOf(rs.Metadata) is { Kind: Kind } owner &&
        _deployments.Cache.Get(rs.Namespace(), owner.Name) is { } d && d.Metadata.Uid == owner.Uid
            ? d
            : null;

    private IEnumerable<V1Deployment> MatchingDeployments(V1ReplicaSet rs) =>
        _deployments.Cache.ByIndex(InformerCache<V1Deployment>.NamespaceIndex, rs.Namespace() ?? "")
            .Where(d => SelectorOf(d) is { } selector && selector.Matches(rs.Metadata));

    private static bool SameLabels(V1ReplicaSet a, V1ReplicaSet b)
    {
        var x = a.Metadata.Labels ?? new Dictionary<string, string>();
        var y = b.Metadata.Labels ?? new Dictionary<string, string>();
        return x.Count == y.Count && x.All(p => y.TryGetValue(p.Key, out var v) && v == p.Value);
    }

    private Kybernet.Api.Selectors.LabelSelector? SelectorOf(V1Deployment d)
    {
        try
        {
            return Selectors.From(d.Spec.Selector);
        }
        catch (Kybernet.Api.Selectors.SelectorException e)
        {
            _log.LogWarning("deployment {Key}: invalid selector: {Error}", ObjectKey.Of(d), e.Message);
            return null;
        }
    }

    internal static T Copy<T>(T obj) => KubernetesJson.Deserialize<T>(KubernetesJson.Serialize(obj));
}
