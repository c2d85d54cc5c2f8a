using k8s;
using k8s.Models;
using Kybernet.Client;
using Kybernet.Client.Informers;

namespace Kybernet.Controllers.Tests.Replication;

/// <summary>
/// Expectations at work: the ReplicaSet controller's pod informer is slowed down (every pod it hears of holds it back),
/// so its cache lags far behind its own creations while the owner's status updates keep queueing syncs.
/// </summary>
public sealed class ReplicaSetLagTests : IAsyncLifetime
{
    private const string Ns = ReplicationCluster.Ns;
    private static readonly TimeSpan LagPerPod = TimeSpan.FromMilliseconds(100);
    private ReplicationCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await ReplicationCluster.StartAsync(beforeReplicaSets: informers =>
        // Registered before the controller's own handler: the informer's thread sleeps on every pod added, so later pod
        // events reach the cache late.
        informers.For<V1Pod>(ApiResource.Pods).AddHandler(new InformerHandler<V1Pod>(OnAdd: _ => Thread.Sleep(LagPerPod))));

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private IKubernetes Client => _cluster.Client;

    [Fact]
    public async Task A_lagging_pod_watch_never_makes_it_create_more_than_replicas()
    {
        // Our own watch of the pods, not slowed: every pod that ever existed, and the most at any moment.
        var live = 0;
        var most = 0;
        var made = 0;
        var counter = new Lock();
        await using var informers = new InformerFactory(_cluster.Server.NewClient());
        var watched = informers.For<V1Pod>(ApiResource.Pods, Ns);
        using var onPod = watched.AddHandler(new InformerHandler<V1Pod>(
            OnAdd: _ => { lock (counter) { made++; most = Math.Max(most, ++live); } },
            OnDelete: _ => { lock (counter) live--; }));
        informers.Start();
        await watched.WaitForSyncAsync();

        _cluster.Kubectl.OkWith(ReplicaSet("burst", 20), "create", "-f", "-");
        await _cluster.WaitForPodsAsync("app=burst", 20);
        // Several deleted at once: the syncs that follow must each wait for their own writes before counting again.
        foreach (var pod in (await _cluster.LivePodsAsync("app=burst")).Take(7))
            await Client.CoreV1.DeleteNamespacedPodAsync(pod.Name(), Ns);
        await _cluster.WaitForPodsAsync("app=burst", 20);
        _cluster.Kubectl.Ok("scale", "rs", "burst", "--replicas=25");
        await _cluster.WaitForPodsAsync("app=burst", 25);
        await TestApiServer.Eventually(async () => (await Client.AppsV1.ReadNamespacedReplicaSetAsync("burst", Ns)).Status?.Replicas == 25, "the status says 25");

        lock (counter)
        {
            Assert.True(most <= 25, $"at most 25 pods at once, saw {most}");
            Assert.Equal(25, live);
            Assert.Equal(20 + 7 + 5, made);
        }
    }

    private static string ReplicaSet(string name, int replicas) => $$"""
        apiVersion: apps/v1
        kind: ReplicaSet
        metadata: {name: {{name}} }
        spec:
          replicas: {{replicas}}
          selector: {matchLabels: {app: {{name}} } }
          template:
            metadata: {labels: {app: {{name}} } }
            spec:
              containers: [{name: main, image: busybox}]
        """;
}
