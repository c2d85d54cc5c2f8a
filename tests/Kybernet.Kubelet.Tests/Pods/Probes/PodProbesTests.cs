using k8s.Models;
using Kybernet.Kubelet.Pods.Probes;
using Kybernet.Kubelet.Pods.Status;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kybernet.Kubelet.Tests.Pods.Probes;

/// <summary>A pod's probe workers together: readiness and startup answers for status, liveness failures reported.</summary>
public sealed class PodProbesTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero));

    private static V1Pod Pod(V1Container app) => new()
    {
        Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "default", Uid = "uid-1" },
        Spec = new V1PodSpec { RestartPolicy = "Always", Containers = [app, new V1Container { Name = "plain", Image = "busybox" }] },
    };

    private ContainerInstance Running(string id) => new(id, ContainerRunState.Running, "busybox", "sha256:1", StartedAt: _time.GetUtcNow());

    [Fact]
    public async Task ReadinessAndStartupDecideStartedAndReady()
    {
        var updates = new List<ProbeUpdate>();
        var results = new ProbeResultCache(u => { lock (updates) updates.Add(u); });
        var app = new V1Container
        {
            Name = "app",
            Image = "busybox",
            StartupProbe = new V1Probe { Exec = new V1ExecAction { Command = ["start"] } },
            ReadinessProbe = new V1Probe { Exec = new V1ExecAction { Command = ["ready"] } },
        };
        using var http = new HttpProber();
        var prober = new Prober(new ScriptedExec(ScriptedExec.Exit(0)), http, new TcpProber(), NullLogger.Instance);
        await using var probes = new PodProbes(Pod(app), prober, results, _time, NullLogger.Instance);

        var instance = Running("containerd://a1");
        Assert.Equal((false, false), probes.ReadyAndStarted("app", instance));
        // A container without probes is started and ready once running.
        Assert.Equal((true, true), probes.ReadyAndStarted("plain", Running("containerd://p1")));

        probes.Start();
        probes.Observe("app", instance, "10.244.1.5");
        await WaitFor(() => probes.ReadyAndStarted("app", instance).Started);

        // Started now: readiness may run (a status read triggers it at once).
        probes.Observe("app", instance, "10.244.1.5");
        await WaitFor(() => probes.ReadyAndStarted("app", instance).Ready);
        lock (updates)
        {
            Assert.Contains(new ProbeUpdate("app", "containerd://a1", ProbeKind.Startup, ProbeResult.Success), updates);
            Assert.Contains(new ProbeUpdate("app", "containerd://a1", ProbeKind.Readiness, ProbeResult.Success), updates);
        }
    }

    [Fact]
    public async Task ALivenessFailureIsReportedOnce()
    {
        var updates = new List<ProbeUpdate>();
        var events = new List<string>();
        var results = new ProbeResultCache(u => { lock (updates) updates.Add(u); }, (_, _, reason, message) => { lock (events) events.Add($"{reason}: {message}"); });
        var app = new V1Container { Name = "app", Image = "busybox", LivenessProbe = new V1Probe { Exec = new V1ExecAction { Command = ["alive"] }, FailureThreshold = 1 } };
        using var http = new HttpProber();
        var prober = new Prober(new ScriptedExec(ScriptedExec.Exit(1, "dead")), http, new TcpProber(), NullLogger.Instance);
        await using var probes = new PodProbes(Pod(app), prober, results, _time, NullLogger.Instance);
        probes.Start();
        probes.Observe("app", Running("containerd://a1"), "10.244.1.5");

        await WaitFor(() => { lock (updates) return updates.Any(u => u.Result == ProbeResult.Failure); });
        lock (events)
            Assert.Equal(["Unhealthy: Liveness probe failed: dead"], events);
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
            await Task.Delay(10);
        Assert.True(condition());
    }
}
