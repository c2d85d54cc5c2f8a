using System.Collections.Concurrent;
using k8s.Models;
using Kybernet.Kubelet.Cri.V1;
using Microsoft.Extensions.Logging;

namespace Kybernet.Kubelet.Pods;

/// <summary>
/// The pods of this node, one <see cref="PodWorker"/> each, fed by the pod informer (add/update/delete) and by a relist
/// of the runtime every second (upstream's PLEG): a container that started, exited or vanished kicks its pod's worker,
/// and a sandbox of a pod the API no longer has (left by an earlier kubelet) is stopped and removed.
/// </summary>
public sealed class PodWorkers : IAsyncDisposable
{
    private static readonly TimeSpan RelistPeriod = TimeSpan.FromSeconds(1);

    private readonly PodSyncContext _ctx;
    private readonly ConcurrentDictionary<string, (PodWorker Worker, Task Run)> _workers = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<IEnumerable<V1Pod>> _knownPods;
    private Task _relist = Task.CompletedTask;
    private Dictionary<string, ContainerState> _lastSeen = [];

    /// <param name="knownPods">The pods the API says are bound here (the informer's cache), once it has synced.</param>
    public PodWorkers(PodSyncContext ctx, Func<IEnumerable<V1Pod>> knownPods)
    {
        _ctx = ctx;
        _knownPods = knownPods;
    }

    public int Count => _workers.Count;

    /// <summary>Starts relisting; call once the pod informer has synced (orphans are judged against its cache).</summary>
    public void Start() => _relist = Task.Run(() => RelistLoopAsync(_stop.Token));

    public void Update(V1Pod pod)
    {
        var uid = pod.Metadata.Uid;
        if (_workers.TryGetValue(uid, out var existing))
        {
            existing.Worker.Update(pod);
            return;
        }
        var worker = new PodWorker(_ctx, pod);
        var run = Task.Run(async () =>
        {
            await worker.RunAsync(_stop.Token);
            _workers.TryRemove(uid, out _);
        });
        if (!_workers.TryAdd(uid, (worker, run)))
            _workers[uid].Worker.Update(pod);
    }

    public void Delete(V1Pod pod)
    {
        if (_workers.TryGetValue(pod.Metadata.Uid, out var entry))
        {
            entry.Worker.Update(pod);
            entry.Worker.Gone();
        }
    }

    public void Kick(string podUid)
    {
        if (_workers.TryGetValue(podUid, out var entry))
            entry.Worker.Kick();
    }

    private async Task RelistLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(RelistPeriod);
        do
        {
            try
            {
                await RelistAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _ctx.Log.LogWarning("relist of the runtime's containers failed: {Error}", e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false));
    }

    private async Task RelistAsync(CancellationToken ct)
    {
        var containers = await _ctx.Runtime.ListContainersAsync(null, ct);
        var seen = containers.ToDictionary(c => c.Id, c => c.State);
        var changed = new HashSet<string>();
        foreach (var c in containers)
            if (!_lastSeen.TryGetValue(c.Id, out var before) || before != c.State)
                changed.Add(c.Labels.GetValueOrDefault(RuntimeLabels.PodUid, ""));
        foreach (var id in _lastSeen.Keys.Where(id => !seen.ContainsKey(id)))
            changed.Add(""); // a vanished container: its pod is unknown by now, the resync covers it
        _lastSeen = seen;
        foreach (var uid in changed)
            Kick(uid);

        // Sandboxes of pods the API does not have here and no worker owns: an earlier kubelet's, or of a pod deleted
        // while the kubelet was down. Stopped and removed (their containers with them).
        var known = _knownPods().Select(p => p.Metadata.Uid).ToHashSet();
        foreach (var sandbox in await _ctx.Runtime.ListSandboxesAsync(null, ct))
        {
            var uid = sandbox.Labels.GetValueOrDefault(RuntimeLabels.PodUid);
            if (uid is null || known.Contains(uid) || _workers.ContainsKey(uid))
                continue;
            _ctx.Log.LogInformation("removing sandbox {Sandbox} of pod {Namespace}/{Name}: no such pod on this node",
                sandbox.Id, sandbox.Metadata.Namespace, sandbox.Metadata.Name);
            if (sandbox.State == PodSandboxState.SandboxReady)
                await _ctx.Runtime.StopSandboxAsync(sandbox.Id, ct);
            await _ctx.Runtime.RemoveSandboxAsync(sandbox.Id, ct);
            _ctx.Setup.TearDown(uid);
            PodCgroup.Remove(_ctx.Sandboxes, uid, _ctx.Log);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _relist;
        await Task.WhenAll(_workers.Values.Select(w => w.Run));
        _stop.Dispose();
    }
}
