using k8s.Models;
using Kybernet.Kubelet.Pods.Status;
using Microsoft.Extensions.Logging;

namespace Kybernet.Kubelet.Pods.Probes;

/// <summary>
/// The probes of one pod (upstream's prober manager, per pod): a worker per container (app containers and sidecars)
/// and declared probe, fed by the pod worker's reads of the runtime, and the started/ready answers its status needs.
/// </summary>
public sealed class PodProbes : IAsyncDisposable
{
    private readonly Dictionary<(string Container, ProbeKind Kind), ProbeWorker> _workers = [];
    private readonly ProbeResultCache _results;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _running = [];

    public PodProbes(V1Pod pod, Prober prober, ProbeResultCache results, TimeProvider time, ILogger logger)
    {
        _results = results;
        _logger = logger;
        var probed = pod.Spec.Containers.Concat((pod.Spec.InitContainers ?? []).Where(Sidecars.IsRestartableInit));
        foreach (var container in probed)
        {
            Add(ProbeKind.Startup, container, container.StartupProbe);
            Add(ProbeKind.Liveness, container, container.LivenessProbe);
            Add(ProbeKind.Readiness, container, container.ReadinessProbe);
        }

        void Add(ProbeKind kind, V1Container container, V1Probe? probe)
        {
            if (probe is not null)
                _workers[(container.Name, kind)] = new ProbeWorker(kind, container, probe, pod.Spec.RestartPolicy, prober, results, time, logger);
        }
    }

    public bool Has(string container, ProbeKind kind) => _workers.ContainsKey((container, kind));

    /// <summary>Starts every worker's loop.</summary>
    public void Start()
    {
        foreach (var worker in _workers.Values)
            _running.Add(Task.Run(() => worker.RunAsync(_stop.Token)));
    }

    /// <summary>Passes the pod worker's latest read of a container to its probe workers.</summary>
    public void Observe(string container, ContainerInstance? current, string? podIP, bool podTerminal = false, bool podDeleting = false)
    {
        var (_, started) = ReadyAndStarted(container, current);
        var observation = new ProbeObservation(
            current?.Id,
            current?.State == ContainerRunState.Running,
            current?.StartedAt,
            current?.State == ContainerRunState.Exited,
            started,
            podIP,
            podTerminal,
            podDeleting);
        foreach (var kind in Enum.GetValues<ProbeKind>())
        {
            if (_workers.TryGetValue((container, kind), out var worker))
                worker.Observe(observation);
        }
    }

    /// <summary>started and ready for the container's status, from the published probe results.</summary>
    public (bool Ready, bool Started) ReadyAndStarted(string container, ContainerInstance? current)
    {
        if (current is null || current.State != ContainerRunState.Running)
            return (false, false);
        var started = _results.IsStarted(current.Id, running: true, Has(container, ProbeKind.Startup));
        var ready = _results.IsReady(current.Id, running: true, started, Has(container, ProbeKind.Readiness));
        // A readiness probe that has not answered yet for this instance: ask for a run now (upstream does the same).
        if (started && !ready && _workers.TryGetValue((container, ProbeKind.Readiness), out var readiness) && _results.Get(current.Id, ProbeKind.Readiness) is null)
            readiness.Trigger();
        return (ready, started);
    }

    /// <summary>Stops every worker and waits for them.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_running).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "A probe worker failed while stopping");
        }
        _stop.Dispose();
    }
}
