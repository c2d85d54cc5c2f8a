using k8s;
using k8s.Models;
using Kybernet.Client;
using Microsoft.Extensions.Logging;

namespace Kybernet.Kubelet.Node;

/// <summary>
/// The node's heartbeat: the Lease kube-node-lease/NODE, held by the node, lasting 40 s, its renewTime set every 10 s
/// (upstream's nodelease controller). It is created when missing and owned by the Node (by uid, so it goes with the
/// Node it was made for). A failed renewal is logged and retried with backoff from 200 ms doubling to 7 s, as upstream
/// retries, so a heartbeat is not lost to one error.
/// </summary>
public sealed class NodeLease(IKubernetes client, NodeOptions options, Func<string?> nodeUid, ILogger logger, TimeProvider? time = null)
{
    public const string Namespace = "kube-node-lease";

    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan LongestRetry = TimeSpan.FromSeconds(7);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private V1Lease? _latest;

    /// <summary>Runs until cancelled; a cancellation ends it quietly, also in the middle of a request.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await LoopAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        var retry = FirstRetry;
        while (!cancellationToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                await RenewAsync(cancellationToken);
                retry = FirstRetry;
                wait = options.LeaseRenewInterval;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("renew lease {Namespace}/{Node}: {Error}; retrying in {Delay}", Namespace, options.NodeName, KubeClient.Describe(e), retry);
                _latest = null; // read it afresh: the failure may be a conflict or a deleted lease
                wait = retry;
                retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, LongestRetry.Ticks));
            }
            await Task.Delay(wait, _time, cancellationToken);
        }
    }

    /// <summary>One renewal: creates the Lease if missing, else sets its holder, duration, renewTime and owner and replaces it.</summary>
    public async Task<V1Lease> RenewAsync(CancellationToken cancellationToken)
    {
        var lease = _latest;
        if (lease is null)
        {
            try
            {
                lease = await client.CoordinationV1.ReadNamespacedLeaseAsync(options.NodeName, Namespace, cancellationToken: cancellationToken);
            }
            catch (Exception e) when (KubeClient.IsNotFound(e))
            {
                var created = await client.CoordinationV1.CreateNamespacedLeaseAsync(Fill(new V1Lease
                {
                    ApiVersion = "coordination.k8s.io/v1",
                    Kind = "Lease",
                    Metadata = new V1ObjectMeta { Name = options.NodeName, NamespaceProperty = Namespace },
                    Spec = new V1LeaseSpec(),
                }), Namespace, cancellationToken: cancellationToken);
                logger.LogInformation("created lease {Namespace}/{Node}", Namespace, options.NodeName);
                return _latest = created;
            }
        }
        return _latest = await client.CoordinationV1.ReplaceNamespacedLeaseAsync(Fill(lease), options.NodeName, Namespace, cancellationToken: cancellationToken);
    }

    private V1Lease Fill(V1Lease lease)
    {
        lease.Spec ??= new V1LeaseSpec();
        lease.Spec.HolderIdentity = options.NodeName;
        lease.Spec.LeaseDurationSeconds = options.LeaseDurationSeconds;
        lease.Spec.RenewTime = _time.GetUtcNow().UtcDateTime;
        if (nodeUid() is { } uid && lease.Metadata.OwnerReferences?.Any(o => o.Kind == "Node" && o.Uid == uid) != true)
        {
            lease.Metadata.OwnerReferences =
            [
                .. lease.Metadata.OwnerReferences?.Where(o => o.Kind != "Node") ?? [],
                new V1OwnerReference { ApiVersion = "v1", Kind = "Node", Name = options.NodeName, Uid = uid },
            ];
        }
        return lease;
    }
}
