using System.Collections.Concurrent;

namespace Kybernet.Kubelet.Pods.Probes;

/// <summary>
/// The latest published result per container instance and probe kind (upstream's results managers), telling the
/// pod worker when one changes and answering "started" and "ready" as upstream's UpdatePodStatus does.
/// </summary>
public sealed class ProbeResultCache(Action<ProbeUpdate>? changed = null, Action<string, string, string, string>? recordEvent = null) : IProbeResultSink
{
    private readonly ConcurrentDictionary<(string ContainerId, ProbeKind Kind), ProbeResult> _results = new();

    public void Set(string containerName, string containerId, ProbeKind kind, ProbeResult result)
    {
        var key = (containerId, kind);
        var previous = _results.TryGetValue(key, out var old) ? old : (ProbeResult?)null;
        _results[key] = result;
        if (previous != result)
            changed?.Invoke(new ProbeUpdate(containerName, containerId, kind, result));
    }

    public void Remove(string containerId, ProbeKind kind) => _results.TryRemove((containerId, kind), out _);

    public void Event(string containerName, string containerId, string reason, string message) =>
        recordEvent?.Invoke(containerName, containerId, reason, message);

    public ProbeResult? Get(string containerId, ProbeKind kind) => _results.TryGetValue((containerId, kind), out var result) ? result : null;

    /// <summary>Started: running, and its startup probe succeeded (a container without one is started once running).</summary>
    public bool IsStarted(string containerId, bool running, bool hasStartupProbe) =>
        running && (hasStartupProbe ? Get(containerId, ProbeKind.Startup) == ProbeResult.Success : true);

    /// <summary>Ready: started, running, and its readiness probe succeeded (a container without one is ready once started).</summary>
    public bool IsReady(string containerId, bool running, bool started, bool hasReadinessProbe) =>
        running && started && (hasReadinessProbe ? Get(containerId, ProbeKind.Readiness) == ProbeResult.Success : true);
}
