using System.Collections.Concurrent;
using k8s.Models;
using Kybernet.Kubelet.Cri.V1;
using Kybernet.Kubelet.Pods.Probes;
using Microsoft.Extensions.Logging;

namespace Kybernet.Kubelet.Pods;

/// <summary>
/// The probe workers of every pod on the node (upstream's prober manager): one per container and probe kind, fed by
/// each pod sync with what the runtime said about the container, publishing into one result cache. A changed result
/// kicks the pod's worker (readiness goes into the status, a liveness failure restarts the container); Unhealthy
/// events are recorded against the pod.
/// </summary>
public sealed class PodProbes : IAsyncDisposable
{
    private readonly Prober _prober;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly IPodEvents _events;
    private readonly ProbeResultCache _results;
    private readonly ConcurrentDictionary<(string Uid, string Container, ProbeKind Kind), (ProbeWorker Worker, CancellationTokenSource Stop, Task Run)> _workers = new();
    private readonly ConcurrentDictionary<string, V1Pod> _podOfContainer = new();

    /// <param name="kick">Runs the pod's worker (by pod uid) soon.</param>
    public PodProbes(Prober prober, IPodEvents events, Action<string> kick, TimeProvider time, ILogger log)
    {
        _prober = prober;
        _events = events;
        _time = time;
        _log = log;
        _results = new ProbeResultCache(
            update => { if (_podOfContainer.TryGetValue(update.ContainerId, out var pod)) kick(pod.Metadata.Uid); },
            (_, containerId, reason, message) => { if (_podOfContainer.TryGetValue(containerId, out var pod)) _events.Warning(pod, reason, message); });
    }

    /// <summary>Starts the workers of the pod's probed containers (once) and tells each what the runtime now says.</summary>
    public void Track(V1Pod pod, PodRuntimeState state)
    {
        var terminal = pod.Status?.Phase is "Succeeded" or "Failed";
        var podIp = state.ReadySandbox?.Network?.Ip;
        foreach (var container in pod.Spec.Containers)
        {
            var latest = state.Latest(container.Name);
            if (latest is not null)
                _podOfContainer[latest.Id] = pod;
            foreach (var (kind, probe) in Probes(container))
            {
                var key = (pod.Metadata.Uid, container.Name, kind);
                var entry = _workers.GetOrAdd(key, _ =>
                {
                    var worker = new ProbeWorker(kind, container, probe, pod.Spec.RestartPolicy, _prober, _results, _time, _log);
                    var stop = new CancellationTokenSource();
                    return (worker, stop, Task.Run(() => worker.RunAsync(stop.Token)));
                });
                var running = latest?.State == ContainerState.ContainerRunning;
                entry.Worker.Observe(new ProbeObservation(
                    latest?.Id,
                    running,
                    latest is { StartedAt: > 0 } ? DateTimeOffset.UnixEpoch.AddTicks(latest.StartedAt / 100) : null,
                    latest?.State == ContainerState.ContainerExited,
                    latest is not null && IsStarted(container, latest.Id, running),
                    podIp,
                    PodTerminal: terminal,
                    PodDeleting: pod.Metadata.DeletionTimestamp is not null));
            }
        }
    }

    private static IEnumerable<(ProbeKind, V1Probe)> Probes(V1Container c)
    {
        if (c.StartupProbe is { } startup)
            yield return (ProbeKind.Startup, startup);
        if (c.LivenessProbe is { } liveness)
            yield return (ProbeKind.Liveness, liveness);
        if (c.ReadinessProbe is { } readiness)
            yield return (ProbeKind.Readiness, readiness);
    }

    /// <summary>The instance failed its liveness or startup probe: the pod worker restarts it.</summary>
    public bool MustRestart(string containerId) =>
        _results.Get(containerId, ProbeKind.Liveness) == ProbeResult.Failure || _results.Get(containerId, ProbeKind.Startup) == ProbeResult.Failure;

    public bool IsStarted(V1Container container, string containerId, bool running) =>
        _results.IsStarted(containerId, running, container.StartupProbe is not null);

    public bool IsReady(V1Container container, string containerId, bool running) =>
        _results.IsReady(containerId, running, IsStarted(container, containerId, running), container.ReadinessProbe is not null);

    /// <summary>The pod is gone: its workers stop.</summary>
    public void Forget(string podUid)
    {
        foreach (var key in _workers.Keys.Where(k => k.Uid == podUid).ToList())
            if (_workers.TryRemove(key, out var entry))
            {
                entry.Stop.Cancel(); // not disposed: the worker may still be reading its token
            }
        foreach (var (id, pod) in _podOfContainer)
            if (pod.Metadata.Uid == podUid)
                _podOfContainer.TryRemove(id, out _);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var entry in _workers.Values)
            await entry.Stop.CancelAsync();
        await Task.WhenAll(_workers.Values.Select(e => e.Run));
    }
}
