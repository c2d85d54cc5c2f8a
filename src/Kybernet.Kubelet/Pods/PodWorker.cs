using k8s;
using k8s.Models;
using Kybernet.Client;
using Microsoft.Extensions.Logging;

namespace Kybernet.Kubelet.Pods;

/// <summary>
/// One pod's worker (upstream's podWorkers: one goroutine per pod): its syncs never overlap, each runs on the newest
/// copy of the pod, and it runs again when kicked (the pod changed, one of its containers changed in the runtime, a
/// probe result changed) or when the last sync asked to (a back-off ending), and at least every resync period. It ends
/// the pod: on deletion it stops the containers within the grace period, removes sandbox, containers and volumes, and
/// then deletes the pod object for good; when the pod is gone from the API it cleans up the same way and ends.
/// </summary>
internal sealed class PodWorker
{
    private static readonly TimeSpan Resync = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan AfterError = TimeSpan.FromSeconds(5);

    private readonly PodSyncContext _ctx;
    private readonly PodSync _sync;
    private readonly SemaphoreSlim _kick = new(0, 1);
    private volatile V1Pod _pod;
    private volatile bool _gone;

    public PodWorker(PodSyncContext ctx, V1Pod pod)
    {
        _ctx = ctx;
        _pod = pod;
        _sync = new PodSync(ctx, new ContainerWaits());
    }

    public string Uid => _pod.Metadata.Uid;

    public void Update(V1Pod pod)
    {
        _pod = pod;
        Kick();
    }

    /// <summary>The pod is no longer in the API (deleted, or bound elsewhere): clean up and end.</summary>
    public void Gone()
    {
        _gone = true;
        Kick();
    }

    public void Kick()
    {
        try
        {
            _kick.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already kicked: one pending pass covers both.
        }
    }

    public async Task RunAsync(CancellationToken ct)
    {
        TimeSpan? next = TimeSpan.Zero;
        while (!ct.IsCancellationRequested)
        {
            await _kick.WaitAsync(next is { } n && n < Resync ? n : Resync, ct).ConfigureAwait(false);
            var pod = _pod;
            try
            {
                if (_gone)
                {
                    await CleanUpAsync(pod, PodSync.GraceSeconds(pod), ct);
                    return;
                }
                if (pod.Metadata.DeletionTimestamp is not null)
                {
                    await CleanUpAsync(pod, PodSync.GraceSeconds(pod), ct);
                    await FinishDeletionAsync(pod, ct);
                    next = Resync; // the watch's delete event ends the worker
                    continue;
                }
                next = await _sync.RunAsync(pod, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _ctx.Log.LogWarning("pod {Namespace}/{Name}: sync failed, again in {Seconds} s: {Error}",
                    pod.Metadata.NamespaceProperty, pod.Metadata.Name, AfterError.TotalSeconds, e is Kybernet.Kubelet.Cri.CriException ? e.Message : e.ToString());
                next = AfterError;
            }
        }
    }

    /// <summary>Stops everything of the pod (hooks, SIGTERM, SIGKILL after the grace period) and removes it from the runtime and the node.</summary>
    private async Task CleanUpAsync(V1Pod pod, long graceSeconds, CancellationToken ct)
    {
        var state = await PodRuntimeState.ReadAsync(_ctx.Runtime, pod.Metadata.Uid, ct);
        await _sync.StopAllAsync(pod, state, graceSeconds, ct);
        // Removing the sandbox removes its containers; any left over from an older sandbox go first.
        foreach (var container in state.Containers)
            await _ctx.Runtime.RemoveContainerAsync(container.Id, ct);
        foreach (var sandbox in state.Sandboxes)
            await _ctx.Runtime.RemoveSandboxAsync(sandbox.Id, ct);
        _ctx.Setup.TearDown(pod.Metadata.Uid);
        PodCgroup.Remove(_ctx.Sandboxes, pod.Metadata.Uid, _ctx.Log);
        await _ctx.Probes.ForgetAsync(pod.Metadata.Uid);
        _ctx.BackOff.Forget(pod.Metadata.Uid);
    }

    /// <summary>The kubelet ends a graceful deletion: the object goes, for this very pod only (uid precondition).</summary>
    private async Task FinishDeletionAsync(V1Pod pod, CancellationToken ct)
    {
        try
        {
            await _ctx.Client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty,
                new V1DeleteOptions { GracePeriodSeconds = 0, Preconditions = new V1Preconditions { Uid = pod.Metadata.Uid } }, cancellationToken: ct);
            _ctx.Log.LogInformation("pod {Namespace}/{Name}: stopped and deleted", pod.Metadata.NamespaceProperty, pod.Metadata.Name);
        }
        catch (Exception e) when (KubeClient.IsNotFound(e) || KubeClient.IsConflict(e))
        {
            // Deleted meanwhile, or a new pod of the same name: nothing of ours to delete.
        }
    }
}
