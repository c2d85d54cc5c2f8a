using k8s;
using k8s.Models;
using Kybernet.Client;
using Kybernet.Client.Informers;
using Kybernet.Client.Queues;
using Kybernet.Controllers.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Controllers.Replication;

/// <summary>
/// kube-controller-manager's replicaset and replicationcontroller controllers, one engine for both kinds (as upstream
/// runs RCs through the ReplicaSet code): keeps each owner's count of active pods at spec.replicas, adopting orphans its
/// selector matches and releasing pods that stop matching, and reports status. On the shared informers of pods and of
/// the owner kind, with a work queue of owner keys ("namespace/name") and several workers.
/// </summary>
public sealed class ReplicaController<TOwner> : IController where TOwner : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly IKubernetes _client;
    private readonly ReplicaKind<TOwner> _kind;
    private readonly ReplicationOptions _options;
    private readonly SharedInformer<TOwner> _owners;
    private readonly SharedInformer<V1Pod> _pods;
    private readonly ILogger _log;
    private readonly TimeProvider _time;

    public ReplicaController(InformerFactory informers, ReplicaKind<TOwner> kind, ReplicationOptions? options = null, ILogger? log = null, TimeProvider? time = null)
    {
        _client = informers.Client;
        _kind = kind;
        _options = options ?? new ReplicationOptions();
        _owners = informers.For<TOwner>(kind.Resource);
        _pods = informers.For<V1Pod>(ApiResource.Pods);
        PodsByController.EnsureIndex(_pods.Cache);
        _log = log ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
    }

    public string Name => _kind.ControllerName;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // Everything a run remembers starts afresh with it: a restarted controller trusts no expectation of the last.
        await using var events = new EventRecorder(_client, _kind.EventSource, _log, _time);
        using var queue = new WorkQueue<string>(new WorkQueueOptions { BaseDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMinutes(5), Time = _time });
        var sync = new ReplicaSync<TOwner>(_kind, _client, _owners.Cache, _pods.Cache, queue, new PodControl(_client, events), new Expectations(_time), _options, _log, _time);
        using var onOwner = _owners.AddHandler(new InformerHandler<TOwner>(
            OnAdd: owner => queue.Add(ObjectKey.Of(owner)),
            OnUpdate: (_, owner) => queue.Add(ObjectKey.Of(owner)),
            OnDelete: sync.OnOwnerDeleted));
        using var onPod = _pods.AddHandler(new InformerHandler<V1Pod>(sync.OnPodAdded, sync.OnPodUpdated, sync.OnPodDeleted));
        await _owners.WaitForSyncAsync(cancellationToken);
        await _pods.WaitForSyncAsync(cancellationToken);
        await QueueWorkers.RunAsync(queue, _options.Workers, sync.SyncAsync, _log, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
    }
}
