using k8s.Models;
using Kybernet.Kubelet.Pods.Probes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kybernet.Kubelet.Tests.Pods.Probes;

/// <summary>Probe workers: initial results, thresholds, delays, startup gating and hold after failure, on a fake clock.</summary>
public sealed class ProbeWorkerTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero));
    private readonly RecordingSink _sink = new();
    private readonly HttpProber _http = new();

    private ProbeWorker Worker(ProbeKind kind, V1Probe probe, ScriptedExec exec, string restartPolicy = "Always")
    {
        probe.Exec ??= new V1ExecAction { Command = ["check"] };
        var prober = new Prober(exec, _http, new TcpProber(), NullLogger.Instance);
        return new ProbeWorker(kind, new V1Container { Name = "app", Image = "busybox" }, probe, restartPolicy, prober, _sink, _time, NullLogger.Instance);
    }

    private ProbeObservation Running(string id = "c1", bool started = true, DateTimeOffset? since = null) =>
        new(id, Running: true, StartedAt: since ?? _time.GetUtcNow().AddMinutes(-1), Terminated: false, Started: started, PodIP: "10.244.1.5");

    [Fact]
    public async Task ReadinessStartsFailedAndNeedsSuccessThresholdSuccesses()
    {
        var exec = new ScriptedExec(ScriptedExec.Exit(0));
        var worker = Worker(ProbeKind.Readiness, new V1Probe { SuccessThreshold = 2 }, exec);
        worker.Observe(Running());

        Assert.True(await worker.ProbeOnceAsync(CancellationToken.None));
        Assert.Equal([("c1", ProbeKind.Readiness, ProbeResult.Failure)], _sink.Sets);
        Assert.True(await worker.ProbeOnceAsync(CancellationToken.None));
        Assert.Equal(ProbeResult.Success, _sink.Last);
        Assert.Equal(2, exec.CallCount);
    }

    [Fact]
    public async Task LivenessStartsSucceededFailsAfterFailureThresholdThenHoldsUntilANewContainer()
    {
        var exec = new ScriptedExec(ScriptedExec.Exit(1, "boom"));
        var worker = Worker(ProbeKind.Liveness, new V1Probe { FailureThreshold = 3 }, exec);
        worker.Observe(Running("c1"));

        await worker.ProbeOnceAsync(CancellationToken.None);
        await worker.ProbeOnceAsync(CancellationToken.None);
        Assert.Equal([ProbeResult.Success], _sink.Sets.Select(s => s.Result));
        await worker.ProbeOnceAsync(CancellationToken.None);
        Assert.Equal([ProbeResult.Success, ProbeResult.Failure], _sink.Sets.Select(s => s.Result));
        Assert.Equal(3, _sink.Events.Count);
        Assert.All(_sink.Events, e => Assert.Equal(("Unhealthy", "Liveness probe failed: boom"), e));

        // On hold: the container is being restarted, so it is not probed again.
        await worker.ProbeOnceAsync(CancellationToken.None);
        Assert.Equal(3, exec.CallCount);

        // The new instance starts over from Success and is probed.
        worker.Observe(Running("c2"));
        await worker.ProbeOnceAsync(CancellationToken.None);
        Assert.Equal(["c1"], _sink.Removed);
        Assert.Equal(("c2", ProbeKind.Liveness, ProbeResult.Success), _sink.Sets.Last());
        Assert.Equal(4, exec.CallCount);
    }

    [Fact]
    public async Task AFailureRunIsBrokenByASuccess()
    {
        var exec = new ScriptedExec(ScriptedExec.Exit(1), ScriptedExec.Exit(1), ScriptedExec.Exit(0), ScriptedExec.Exit(1), ScriptedExec.Exit(1));
        var worker = Worker(ProbeKind.Liveness, new V1Probe { FailureThreshold = 3 }, exec);
        worker.Observe(Running());
        for (var i = 0; i < 5; i++)
            await worker.ProbeOnceAsync(CancellationToken.None);
        Assert.DoesNotContain(ProbeResult.Failure, _sink.Sets.Select(s => s.Result));
    }

    [Fact]
    public async Task NothingRunsBeforeInitialDelaySeconds()
    {
        var exec = new ScriptedExec(ScriptedExec.Exit(0));
        var worker = Worker(ProbeKind.Readiness, new V1Probe { InitialDelaySeconds = 5 }, exec);
        worker.Observe(Running(since: _time.GetUtcNow()));

        await worker.ProbeOnceAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(4));
        await worker.ProbeOnceAsync(CancellationToken.None);
        Assert.Equal(0, exec.CallCount);
        Assert.Equal(ProbeResult.Failure, _sink.Last);

        _time.Advance(TimeSpan.FromSeconds(1));
        await worker.ProbeOnceAsync(CancellationToken.None);
        Assert.Equal(1, exec.CallCount);
        Assert.Equal(ProbeResult.Success, _sink.Last);
    }

    [Fact]
    public async Task LivenessAndReadinessWaitForTheStartupProbe()
    {
        var exec = new ScriptedExec(ScriptedExec.Exit(0));
        var liveness = Worker(ProbeKind.Liveness, new V1Probe(), exec);
        var startup = Worker(ProbeKind.Startup, new V1Probe(), exec);
        liveness.Observe(Running(started: false));
        startup.Observe(Running(started: false));

        await liveness.ProbeOnceAsync(CancellationToken.None);
        Assert.Equal(0, exec.CallCount);

        await startup.ProbeOnceAsync(CancellationToken.None);
        Assert.Equal(1, exec.CallCount);
        Assert.Equal([ProbeResult.Success, ProbeResult.Unknown, ProbeResult.Success], _sink.Sets.Select(s => s.Result));

        // Started: the startup probe stops, liveness begins.
        liveness.Observe(Running(started: true));
        startup.Observe(Running(started: true));
        await startup.ProbeOnceAsync(CancellationToken.None);
        Assert.Equal(1, exec.CallCount);
        await liveness.ProbeOnceAsync(CancellationToken.None);
        Assert.Equal(2, exec.CallCount);
    }

    [Fact]
    public async Task AStoppedContainerIsNotReadyAndUnderNeverTheWorkerEnds()
    {
        var exec = new ScriptedExec(ScriptedExec.Exit(0));
        var worker = Worker(ProbeKind.Readiness, new V1Probe(), exec, restartPolicy: "Never");
        worker.Observe(new ProbeObservation("c1", Running: false, StartedAt: null, Terminated: true, Started: false, PodIP: null));
        Assert.False(await worker.ProbeOnceAsync(CancellationToken.None));
        Assert.Equal(ProbeResult.Failure, _sink.Last);
        Assert.Equal(0, exec.CallCount);
    }

    [Fact]
    public async Task ADeletingPodStopsLivenessButNotReadiness()
    {
        var exec = new ScriptedExec(ScriptedExec.Exit(0));
        var liveness = Worker(ProbeKind.Liveness, new V1Probe(), exec);
        var readiness = Worker(ProbeKind.Readiness, new V1Probe(), exec);
        var deleting = Running() with { PodDeleting = true };
        liveness.Observe(deleting);
        readiness.Observe(deleting);
        Assert.False(await liveness.ProbeOnceAsync(CancellationToken.None));
        Assert.True(await readiness.ProbeOnceAsync(CancellationToken.None));
        Assert.Equal(1, exec.CallCount);
    }

    [Fact]
    public async Task ATerminalPodStopsTheWorker()
    {
        var worker = Worker(ProbeKind.Readiness, new V1Probe(), new ScriptedExec(ScriptedExec.Exit(0)));
        worker.Observe(Running() with { PodTerminal = true });
        Assert.False(await worker.ProbeOnceAsync(CancellationToken.None));
    }

    [Fact]
    public async Task RunProbesEveryPeriodOfTheClock()
    {
        var exec = new ScriptedExec(ScriptedExec.Exit(0));
        var worker = Worker(ProbeKind.Liveness, new V1Probe { PeriodSeconds = 10 }, exec);
        worker.Observe(Running());
        using var stop = new CancellationTokenSource();
        var run = worker.RunAsync(stop.Token);

        await WaitFor(() => exec.CallCount == 1);
        // Step the clock a second at a time: the second probe comes once a whole period has passed, not before.
        var advanced = TimeSpan.Zero;
        for (var i = 0; i < 200 && exec.CallCount < 2; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            advanced += TimeSpan.FromSeconds(1);
            await Task.Delay(10);
        }
        Assert.Equal(2, exec.CallCount);
        Assert.True(advanced >= TimeSpan.FromSeconds(10), $"probed again after {advanced}");

        // A trigger probes before the next tick.
        worker.Trigger();
        await WaitFor(() => exec.CallCount == 3);

        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
            await Task.Delay(10);
        Assert.True(condition());
    }

    public void Dispose() => _http.Dispose();
}
