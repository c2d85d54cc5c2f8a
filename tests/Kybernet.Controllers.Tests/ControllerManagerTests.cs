using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Kybernet.Controllers.Tests;

public sealed class ControllerManagerTests
{
    private sealed class FailsOnce : IController
    {
        public int Runs;
        public readonly TaskCompletionSource SecondRun = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => "flaky";

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref Runs) == 1)
                throw new InvalidOperationException("first run fails");
            SecondRun.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
    }

    [Fact]
    public async Task A_failed_controller_is_logged_and_started_again_and_dispose_stops_it()
    {
        var log = new FakeLogCollector();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(log)));
        var flaky = new FailsOnce();
        await using (ControllerManager.Start([flaky], new ControllerManagerOptions { Loggers = loggers, RestartDelay = TimeSpan.FromMilliseconds(10) }))
            await flaky.SecondRun.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, flaky.Runs);
        var failure = Assert.Single(log.GetSnapshot(), r => r.Level == LogLevel.Error);
        Assert.Equal("flaky: failed, restarting in 0 s: first run fails", failure.Message);
        Assert.IsType<InvalidOperationException>(failure.Exception); // with its stack
    }

    [Fact]
    public void Garbage_collection_namespaces_and_endpoints_always_run_allocate_node_cidrs_decides_on_node_ipam_and_a_ca_on_the_root_ca_publisher()
    {
        using var client = new k8s.Kubernetes(new k8s.KubernetesClientConfiguration { Host = "https://127.0.0.1:1" });
        var informers = new Kybernet.Client.Informers.InformerFactory(client); // never started: nothing is asked of the server
        string[] always = ["garbage-collector", "namespace", "serviceaccount", "replicaset", "replicationcontroller", "deployment", "daemonset", "job",
            "ttl-after-finished", "endpoints", "endpointslice", "node-lifecycle", "taint-eviction-controller", "pod-garbage-collector", "scheduler"];
        Assert.Equal([.. always, "node-ipam"], ControllerManager.Create(informers, new ControllerManagerOptions()).Select(c => c.Name));
        Assert.Equal(always, ControllerManager.Create(informers, new ControllerManagerOptions { AllocateNodeCidrs = false }).Select(c => c.Name));
        Assert.Equal([.. always, "root-ca-cert-publisher"],
            ControllerManager.Create(informers, new ControllerManagerOptions { AllocateNodeCidrs = false, RootCa = new() { CaPem = "-----BEGIN CERTIFICATE-----" } }).Select(c => c.Name));
    }
}
