using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Kybernet.Kubelet.Pods.Probes;

/// <summary>
/// Probes one container for one kind of probe every periodSeconds, as upstream's prober worker: nothing before
/// initialDelaySeconds; liveness and readiness wait until the container has started (startup probe passed);
/// a result is published only after successThreshold / failureThreshold equal results in a row; after a liveness
/// or startup failure it holds until a new container instance appears (the pod worker restarts it).
/// Readiness starts as Failure, liveness as Success, startup as Unknown (so the container is not started yet).
/// </summary>
public sealed class ProbeWorker
{
    private readonly ProbeKind _kind;
    private readonly V1Container _container;
    private readonly V1Probe _probe;
    private readonly bool _restartNever;
    private readonly Prober _prober;
    private readonly IProbeResultSink _sink;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _trigger = new(0, 1);
    private volatile ProbeObservation? _observation;

    private string? _containerId;
    private bool _onHold;
    private ProbeResult _lastResult = ProbeResult.Unknown;
    private int _resultRun;

    public ProbeWorker(ProbeKind kind, V1Container container, V1Probe probe, string? restartPolicy, Prober prober, IProbeResultSink sink, TimeProvider time, ILogger logger)
    {
        _kind = kind;
        _container = container;
        _probe = probe;
        _restartNever = restartPolicy == "Never";
        _prober = prober;
        _sink = sink;
        _time = time;
        _logger = logger;
    }

    public ProbeKind Kind => _kind;

    public TimeSpan Period => TimeSpan.FromSeconds(Math.Max(1, _probe.PeriodSeconds ?? 10));

    private int SuccessThreshold => Math.Max(1, _probe.SuccessThreshold ?? 1);

    private int FailureThreshold => Math.Max(1, _probe.FailureThreshold ?? 3);

    private ProbeResult InitialResult => _kind switch
    {
        ProbeKind.Readiness => ProbeResult.Failure,
        ProbeKind.Liveness => ProbeResult.Success,
        _ => ProbeResult.Unknown,
    };

    /// <summary>
    /// The pod worker's latest view of the container; a new container instance, a change of started, or
    /// <paramref name="probeNow"/> asks for a run before the next tick.
    /// </summary>
    public void Observe(ProbeObservation observation, bool probeNow = false)
    {
        var before = _observation;
        _observation = observation;
        // A new instance, or one that just started, is probed at once rather than a period later.
        if (probeNow || before?.ContainerId != observation.ContainerId || before?.Started != observation.Started)
            Trigger();
    }

    /// <summary>Probe before the next tick (upstream triggers readiness this way when status is read before its first run).</summary>
    public void Trigger()
    {
        try
        {
            _trigger.Release();
        }
        catch (SemaphoreFullException)
        {
            // A run is already pending: one is enough.
        }
    }

    /// <summary>Probes every period until the pod is terminal, the container will not be restarted, or cancellation.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                // A request made before this run is answered by it.
                _trigger.Wait(0, CancellationToken.None);
                if (!await ProbeOnceAsync(cancellationToken).ConfigureAwait(false))
                    break;
                using var wake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var tick = Task.Delay(Period, _time, wake.Token);
                var triggered = _trigger.WaitAsync(wake.Token);
                await Task.WhenAny(tick, triggered).ConfigureAwait(false);
                await wake.CancelAsync().ConfigureAwait(false);
                await Task.WhenAll(tick, triggered).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped by the pod worker.
        }
    }

    /// <summary>One round of upstream's doProbe; false when the worker should stop.</summary>
    public async Task<bool> ProbeOnceAsync(CancellationToken cancellationToken)
    {
        var seen = _observation;
        if (seen is null)
            return true; // nothing read from the runtime yet
        if (seen.PodTerminal)
            return false;
        if (string.IsNullOrEmpty(seen.ContainerId))
            return true; // not created yet, or removed

        if (_containerId != seen.ContainerId)
        {
            if (_containerId is not null)
                _sink.Remove(_containerId, _kind);
            _containerId = seen.ContainerId;
            _sink.Set(_container.Name, _containerId, _kind, InitialResult);
            _lastResult = ProbeResult.Unknown;
            _resultRun = 0;
            _onHold = false; // a new instance: probe again
        }
        if (_onHold)
            return true;

        if (!seen.Running)
        {
            _sink.Set(_container.Name, _containerId, _kind, ProbeResult.Failure);
            // A terminated container that will never restart needs no more probing.
            return !(seen.Terminated && _restartNever);
        }

        if (seen.PodDeleting && _kind != ProbeKind.Readiness)
        {
            // Shutting down: liveness must not kill a container that is already being stopped.
            if (_kind == ProbeKind.Startup)
                _sink.Set(_container.Name, _containerId, _kind, ProbeResult.Failure);
            return false;
        }

        if (seen.StartedAt is { } startedAt && _time.GetUtcNow() - startedAt < TimeSpan.FromSeconds(_probe.InitialDelaySeconds ?? 0))
            return true;

        if (seen.Started)
        {
            if (_kind == ProbeKind.Startup)
                return true; // its work is done
        }
        else if (_kind != ProbeKind.Startup)
        {
            return true; // liveness and readiness wait for the startup probe
        }

        var outcome = await _prober.ProbeAsync(_kind, _probe, _container, _containerId, seen.PodIP, cancellationToken).ConfigureAwait(false);
        if (outcome.EventReason is not null && outcome.EventMessage is not null)
            _sink.Event(_container.Name, _containerId, outcome.EventReason, outcome.EventMessage);
        if (outcome.Result == ProbeResult.Unknown)
            return true; // errored: the result is thrown away

        if (outcome.Result == _lastResult)
            _resultRun++;
        else
        {
            _lastResult = outcome.Result;
            _resultRun = 1;
        }
        if ((outcome.Result == ProbeResult.Failure && _resultRun < FailureThreshold) ||
            (outcome.Result == ProbeResult.Success && _resultRun < SuccessThreshold))
            return true; // below the threshold: the published state stays

        _sink.Set(_container.Name, _containerId, _kind, outcome.Result);
        if (_kind != ProbeKind.Readiness && outcome.Result == ProbeResult.Failure)
        {
            // The container will be restarted: wait for the new instance rather than probe one being killed.
            _logger.LogInformation("{Kind} probe of container {Container} ({Id}) failed {Count} times in a row; it will be restarted", _kind.Label(), _container.Name, _containerId, _resultRun);
            _onHold = true;
            _resultRun = 0;
        }
        return true;
    }
}
