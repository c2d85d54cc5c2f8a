using System.Collections.Concurrent;
using k8s.Models;
using Kybernet.Kubelet.Pods.Probes;
using Kybernet.Kubelet.Pods.Status;
using Microsoft.Extensions.Logging;

namespace Kybernet.Kubelet.Pods;

/// <summary>
/// The probes of every pod on the node (upstream's prober manager): a <see cref="PodProbes"/> per pod, started at its
/// first sync and fed by each sync with what the runtime said, all publishing into one result cache. A changed result
/// kicks the pod's worker (readiness goes into the status, a liveness or startup failure restarts the container), and
/// Unhealthy events are recorded against the pod.
/// </summary>
public sealed class ProbeManager : IAsyncDisposable
{
    private readonly Prober _prober;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly ProbeResultCache _results;
    private readonly ConcurrentDictionary<string, PodProbes> _pods = new();
    private readonly ConcurrentDictionary<string, V1Pod> _podOfContainer = new();

    /// <param name="kick">Runs the pod's worker (by pod uid) soon.</param>
    public ProbeManager(Prober prober, IPodEvents events, Action<string> kick, TimeProvider time, ILogger log)
    {
        _prober = prober;
        _time = time;
        _log = log;
        _results = new ProbeResultCache(
            update => { if (_podOfContainer.TryGetValue(update.ContainerId, out var pod)) kick(pod.Metadata.Uid); },
            (_, containerId, reason, message) => { if (_podOfContainer.TryGetValue(containerId, out var pod)) events.Warning(pod, reason, message); });
    }

    /// <summary>Tells the pod's probe workers (started at the first call) what the runtime now says about each container.</summary>
    public void Track(V1Pod pod, IEnumerable<(string Container, ContainerInstance? Current)> containers, string? podIp)
    {
        var probes = _pods.GetOrAdd(pod.Metadata.Uid, _ =>
        {
            var created = new PodProbes(pod, _prober, _results, _time, _log);
            created.Start();
            return created;
        });
        var terminal = PodPhases.IsTerminal(pod.Status?.Phase);
        foreach (var (container, current) in containers)
        {
            if (current is not null)
                _podOfContainer[current.Id] = pod;
            probes.Observe(container, current, podIp, terminal, pod.Metadata.DeletionTimestamp is not null);
        }
    }

    /// <summary>started and ready for the status; a pod not tracked yet has no probe results (running means ready).</summary>
    public (bool Ready, bool Started) ReadyAndStarted(string podUid, string container, ContainerInstance? current)
    {
        if (_pods.TryGetValue(podUid, out var probes))
            return probes.ReadyAndStarted(container, current);
        var running = current?.State == ContainerRunState.Running;
        return (running, running);
    }

    /// <summary>The instance (API-form id) failed its liveness or startup probe: restart it.</summary>
    public bool MustRestart(string containerId) =>
        _results.Get(containerId, ProbeKind.Liveness) == ProbeResult.Failure || _results.Get(containerId, ProbeKind.Startup) == ProbeResult.Failure;

    /// <summary>The pod is gone: its probe workers stop.</summary>
    public async Task ForgetAsync(string podUid)
    {
        if (_pods.TryRemove(podUid, out var probes))
            await probes.DisposeAsync();
        foreach (var (id, pod) in _podOfContainer)
            if (pod.Metadata.Uid == podUid)
                _podOfContainer.TryRemove(id, out _);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var probes in _pods.Values)
            await probes.DisposeAsync();
        _pods.Clear();
    }
}
