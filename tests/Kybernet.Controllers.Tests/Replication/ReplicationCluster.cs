using k8s;
using k8s.Models;
using Kybernet.ApiServer.Tests;
using Kybernet.Client.Informers;
using Kybernet.Controllers.GarbageCollection;
using Kybernet.Controllers.Replication;

namespace Kybernet.Controllers.Tests.Replication;

/// <summary>
/// A real API server with the ReplicaSet and ReplicationController controllers running (and the garbage collector, for
/// cascading deletes), and what the tests do to pods in the kubelet's place.
/// </summary>
internal sealed class ReplicationCluster : IAsyncDisposable
{
    public const string Ns = "default";

    private readonly List<RunningController> _controllers = [];

    private ReplicationCluster(TestApiServer server) => Server = server;

    public TestApiServer Server { get; }
    public IKubernetes Client => Server.Client;
    public Kubectl Kubectl => Server.Kubectl;
    public RunningController ReplicaSets => _controllers[0];
    public RunningController ReplicationControllers => _controllers[1];

    /// <param name="beforeReplicaSets">Called with the ReplicaSet controller's informers before it is made (to slow them down).</param>
    public static async Task<ReplicationCluster> StartAsync(ReplicationOptions? options = null, bool garbageCollector = false, Action<InformerFactory>? beforeReplicaSets = null)
    {
        var cluster = new ReplicationCluster(await TestApiServer.StartAsync());
        cluster._controllers.Add(new RunningController(cluster.Server, (informers, log) =>
        {
            beforeReplicaSets?.Invoke(informers);
            return ReplicaControllers.ReplicaSets(informers, options, log);
        }));
        cluster._controllers.Add(new RunningController(cluster.Server, (informers, log) => ReplicaControllers.ReplicationControllers(informers, options, log)));
        if (garbageCollector)
            cluster._controllers.Add(new RunningController(cluster.Server, (informers, log) => new GarbageCollector(informers, log: log)));
        return cluster;
    }

    /// <summary>An RC's manifest: selector app=NAME, a busybox template with the same label.</summary>
    public static string ReplicationController(string name, int replicas, int minReadySeconds = 0) => $$"""
        apiVersion: v1
        kind: ReplicationController
        metadata: {name: {{name}} }
        spec:
          replicas: {{replicas}}
          minReadySeconds: {{minReadySeconds}}
          selector: {app: {{name}} }
          template:
            metadata: {labels: {app: {{name}} } }
            spec:
              containers: [{name: main, image: busybox, command: [sleep, "3600"]}]
        """;

    /// <summary>The pods whose labels match <paramref name="selector"/> (terminating ones included).</summary>
    public async Task<IList<V1Pod>> PodsAsync(string selector) =>
        (await Client.CoreV1.ListNamespacedPodAsync(Ns, labelSelector: selector)).Items;

    /// <summary>The matching pods that are not being deleted.</summary>
    public async Task<List<V1Pod>> LivePodsAsync(string selector) =>
        [.. (await PodsAsync(selector)).Where(p => p.Metadata.DeletionTimestamp is null)];

    /// <summary>Waits until exactly <paramref name="count"/> live pods match; returns them.</summary>
    public async Task<List<V1Pod>> WaitForPodsAsync(string selector, int count, Func<List<V1Pod>, bool>? also = null)
    {
        List<V1Pod> pods = [];
        await TestApiServer.Eventually(async () =>
        {
            pods = await LivePodsAsync(selector);
            return pods.Count == count && (also is null || also(pods));
        }, $"{count} live pods match {selector} (last seen {pods.Count}: {string.Join(", ", pods.Select(p => p.Name()))})");
        return pods;
    }

    /// <summary>Plays the kubelet: the pod is Running and Ready since <paramref name="since"/> (or not ready).</summary>
    public Task SetReadyAsync(V1Pod pod, bool ready, DateTime since) =>
        Client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(new
        {
            status = new
            {
                phase = "Running",
                conditions = new[] { new { type = "Ready", status = ready ? "True" : "False", lastTransitionTime = since.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) } },
            },
        }, V1Patch.PatchType.MergePatch), pod.Name(), Ns);

    public async ValueTask DisposeAsync()
    {
        foreach (var controller in _controllers)
            await controller.DisposeAsync();
        await Server.DisposeAsync();
    }
}
