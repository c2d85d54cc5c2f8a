using k8s;
using k8s.Models;
using Kybernet.ApiServer.Tests;
using Kybernet.Controllers.NodeLifecycle;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Kybernet.Controllers.Tests.Cluster;

/// <summary>
/// The cluster converging, where users meet it: the whole controller manager as `kybernet server` runs it (every
/// controller and the scheduler, as system:kube-controller-manager), three hollow nodes, and the real kubectl.
/// </summary>
public sealed class ClusterTests
{
    private sealed class RunningCluster : IAsyncDisposable
    {
        private readonly ILoggerFactory _loggers;

        private RunningCluster(TestApiServer server, HollowNodes nodes, ILoggerFactory loggers, ControllerManager manager)
        {
            Server = server;
            Nodes = nodes;
            _loggers = loggers;
            Manager = manager;
        }

        public TestApiServer Server { get; }
        public HollowNodes Nodes { get; }
        public ControllerManager Manager { get; }
        public IKubernetes Client => Server.Client;
        public Kubectl Kubectl => Server.Kubectl;

        public static async Task<RunningCluster> StartAsync(NodeLifecycleOptions? lifecycle = null)
        {
            var server = await TestApiServer.StartAsync();
            var nodes = await HollowNodes.StartAsync(server, 3, new HollowNodeOptions { HeartbeatPeriod = TimeSpan.FromMilliseconds(500) });
            var collector = new FakeLogCollector();
            var loggers = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(collector)));
            var manager = ControllerManager.Start(server.NewClient(asControllerManager: true), new ControllerManagerOptions
            {
                Loggers = loggers,
                NodeLifecycle = lifecycle ?? new NodeLifecycleOptions(),
            });
            return new RunningCluster(server, nodes, loggers, manager);
        }

        public async Task<IList<V1Pod>> PodsAsync(string selector) =>
            (await Client.CoreV1.ListNamespacedPodAsync("default", labelSelector: selector)).Items;

        /// <summary>Waits until the active (not terminating) pods of <paramref name="selector"/> satisfy <paramref name="done"/>; returns them.</summary>
        public async Task<IList<V1Pod>> WaitForActivePodsAsync(string selector, Func<IList<V1Pod>, bool> done, string what)
        {
            IList<V1Pod> active = [];
            await TestApiServer.Eventually(async () =>
            {
                active = [.. (await PodsAsync(selector)).Where(p => p.Metadata.DeletionTimestamp is null)];
                return done(active);
            }, what);
            return active;
        }

        public async ValueTask DisposeAsync()
        {
            await Manager.DisposeAsync();
            await Nodes.DisposeAsync();
            await Server.DisposeAsync();
            _loggers.Dispose();
        }
    }

    private static bool AllBoundToDistinctNodes(IList<V1Pod> pods, int count) =>
        pods.Count == count && pods.All(p => p.Spec.NodeName is not null) && pods.Select(p => p.Spec.NodeName).Distinct().Count() == count;

    [Fact]
    public async Task A_replication_controller_of_three_puts_one_pod_on_each_node_replaces_a_deleted_pod_and_follows_kubectl_scale()
    {
        await using var cluster = await RunningCluster.StartAsync();
        cluster.Kubectl.OkWith("""
            apiVersion: v1
            kind: ReplicationController
            metadata: {name: web}
            spec:
              replicas: 3
              selector: {app: web}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers: [{name: web, image: busybox}]
            """, "apply", "-f", "-");
        var pods = await cluster.WaitForActivePodsAsync("app=web", p => AllBoundToDistinctNodes(p, 3), "3 pods, one on each node");
        Assert.All(pods, p => Assert.Equal("web", p.Metadata.OwnerReferences.Single(o => o.Controller == true).Name));

        var victim = pods[0].Metadata.Name;
        cluster.Kubectl.Ok("delete", "pod", victim);
        pods = await cluster.WaitForActivePodsAsync("app=web", p => p.Count == 3 && p.All(x => x.Metadata.Name != victim && x.Spec.NodeName is not null), "a new pod replaces the deleted one");

        cluster.Kubectl.Ok("scale", "rc", "web", "--replicas=5");
        await cluster.WaitForActivePodsAsync("app=web", p => p.Count == 5 && p.All(x => x.Spec.NodeName is not null), "5 bound pods after scale 5");
        cluster.Kubectl.Ok("scale", "rc", "web", "--replicas=1");
        await cluster.WaitForActivePodsAsync("app=web", p => p.Count == 1, "1 pod after scale 1");
        await TestApiServer.Eventually(async () => (await cluster.PodsAsync("app=web")).Count == 1, "the others' deletions finish");
    }

    [Fact]
    public async Task Kubectl_create_deployment_and_expose_give_a_replicaset_two_bound_pods_and_an_endpointslice_that_fills_as_pods_turn_ready()
    {
        await using var cluster = await RunningCluster.StartAsync();
        cluster.Kubectl.Ok("create", "deployment", "web", "--image=busybox", "--replicas=2");
        cluster.Kubectl.Ok("expose", "deployment", "web", "--port=80");

        var pods = await cluster.WaitForActivePodsAsync("app=web", p => p.Count == 2 && p.All(x => x.Spec.NodeName is not null && x.Status?.PodIP is not null), "2 bound, running pods");
        var replicaSet = Assert.Single((await cluster.Client.AppsV1.ListNamespacedReplicaSetAsync("default", labelSelector: "app=web")).Items);
        Assert.Equal("web", replicaSet.Metadata.OwnerReferences.Single(o => o.Controller == true).Name);
        Assert.All(pods, p => Assert.Equal(replicaSet.Metadata.Name, p.Metadata.OwnerReferences.Single(o => o.Controller == true).Name));

        async Task<IList<V1Endpoint>> SliceEndpointsAsync() =>
            [.. (await cluster.Client.DiscoveryV1.ListNamespacedEndpointSliceAsync("default", labelSelector: "kubernetes.io/service-name=web")).Items.SelectMany(s => s.Endpoints ?? [])];
        await TestApiServer.Eventually(async () => (await SliceEndpointsAsync()).Count == 2, "both pods in the slice, not ready");
        Assert.All(await SliceEndpointsAsync(), e => Assert.False(e.Conditions.Ready));

        await cluster.Nodes.MarkReadyAsync("default", pods[0].Metadata.Name);
        await TestApiServer.Eventually(async () => (await SliceEndpointsAsync()).Any(e => e.Conditions.Ready == true && e.Addresses.Contains(pods[0].Status.PodIP)),
            "the ready pod is ready in the slice");
        var endpoints = await cluster.Client.CoreV1.ReadNamespacedEndpointsAsync("web", "default");
        Assert.Equal([pods[0].Status.PodIP], endpoints.Subsets.SelectMany(s => s.Addresses ?? []).Select(a => a.Ip));
        Assert.Equal(80, endpoints.Subsets.Single().Ports.Single().Port);
        Assert.Contains(pods[0].Status.PodIP, cluster.Kubectl.Ok("get", "endpointslices", "-l", "kubernetes.io/service-name=web"));
    }

    [Fact]
    public async Task A_node_whose_heartbeats_stop_is_tainted_its_pods_are_replaced_on_the_others_and_it_is_untainted_when_it_returns()
    {
        await using var cluster = await RunningCluster.StartAsync(new NodeLifecycleOptions { GracePeriod = TimeSpan.FromSeconds(3), MonitorPeriod = TimeSpan.FromMilliseconds(500) });
        cluster.Kubectl.OkWith("""
            apiVersion: v1
            kind: ReplicationController
            metadata: {name: web}
            spec:
              replicas: 3
              selector: {app: web}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers: [{name: web, image: busybox}]
                  tolerations:
                  - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 2}
                  - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 2}
            """, "apply", "-f", "-");
        var pods = await cluster.WaitForActivePodsAsync("app=web", p => AllBoundToDistinctNodes(p, 3), "3 pods, one on each node");
        var lost = pods[0].Spec.NodeName;
        var evicted = pods[0].Metadata.Name;

        cluster.Nodes.StopHeartbeats(lost);
        await TestApiServer.Eventually(async () =>
        {
            var node = await cluster.Client.CoreV1.ReadNodeAsync(lost);
            return node.Status.Conditions.Single(c => c.Type == "Ready").Status == "Unknown" &&
                node.Spec.Taints?.Any(t => t.Key == "node.kubernetes.io/unreachable" && t.Effect == "NoExecute") == true;
        }, "the silent node is Unknown and tainted unreachable:NoExecute");
        pods = await cluster.WaitForActivePodsAsync("app=web", p => p.Count == 3 && p.All(x => x.Spec.NodeName is not null && x.Spec.NodeName != lost),
            "its pod is evicted after 2 s and replaced on the other nodes");
        Assert.NotNull((await cluster.Client.CoreV1.ReadNamespacedPodAsync(evicted, "default")).Metadata.DeletionTimestamp); // its kubelet is gone: it stays terminating

        cluster.Nodes.ResumeHeartbeats(lost);
        await TestApiServer.Eventually(async () =>
        {
            var node = await cluster.Client.CoreV1.ReadNodeAsync(lost);
            return node.Status.Conditions.Single(c => c.Type == "Ready").Status == "True" &&
                node.Spec.Taints?.Any(t => t.Key is "node.kubernetes.io/unreachable" or "node.kubernetes.io/not-ready") != true;
        }, "the node is back: Ready and untainted");
        await TestApiServer.Eventually(async () => (await cluster.PodsAsync("app=web")).All(p => p.Metadata.Name != evicted), "its kubelet finishes the evicted pod's deletion");
    }
}
