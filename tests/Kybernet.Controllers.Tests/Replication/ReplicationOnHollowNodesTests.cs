using k8s;
using k8s.Models;

namespace Kybernet.Controllers.Tests.Replication;

/// <summary>
/// An RC on three hollow nodes: the test binds its pods (the scheduler's part), the hollow kubelet runs them, and the
/// test marks them Ready, stops a node's heartbeats and evicts, as the kubelet and node lifecycle would.
/// </summary>
public sealed class ReplicationOnHollowNodesTests : IAsyncLifetime
{
    private const string Ns = ReplicationCluster.Ns;
    private ReplicationCluster _cluster = null!;
    private HollowNodes _nodes = null!;

    public async Task InitializeAsync()
    {
        _cluster = await ReplicationCluster.StartAsync();
        _nodes = await HollowNodes.StartAsync(_cluster.Server, 3);
    }

    public async Task DisposeAsync()
    {
        await _nodes.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    private IKubernetes Client => _cluster.Client;

    private Task<V1ReplicationController> Read() => Client.CoreV1.ReadNamespacedReplicationControllerAsync("web", Ns);

    /// <summary>Binds each unbound pod to the next node in turn, as a scheduler spreading them would.</summary>
    private async Task BindAllAsync(params string[] nodes)
    {
        var unbound = (await _cluster.LivePodsAsync("app=web")).Where(p => string.IsNullOrEmpty(p.Spec.NodeName)).ToList();
        for (var i = 0; i < unbound.Count; i++)
        {
            await Client.CoreV1.CreateNamespacedPodBindingAsync(new V1Binding
            {
                Metadata = new V1ObjectMeta { Name = unbound[i].Name() },
                Target = new V1ObjectReference { Kind = "Node", Name = nodes[i % nodes.Length] },
            }, unbound[i].Name(), Ns);
        }
    }

    private async Task<List<V1Pod>> WaitForRunningAsync(int count) =>
        await _cluster.WaitForPodsAsync("app=web", count, pods => pods.All(p => p.Status?.Phase == "Running" && p.Status.PodIP is not null));

    [Fact]
    public async Task Status_follows_the_kubelet_scale_down_takes_the_unready_and_an_evicted_pod_on_a_lost_node_is_replaced_at_once()
    {
        _cluster.Kubectl.OkWith(ReplicationCluster.ReplicationController("web", 3, minReadySeconds: 1), "create", "-f", "-");
        await _cluster.WaitForPodsAsync("app=web", 3);
        await BindAllAsync(_nodes.Names.ToArray());
        var pods = await WaitForRunningAsync(3);
        Assert.Equal(_nodes.Names.Order(), pods.Select(p => p.Spec.NodeName).Order()); // one on each node
        await TestApiServer.Eventually(async () => (await Read()).Status is { Replicas: 3, ReadyReplicas: 0 or null }, "running but none ready");

        foreach (var pod in pods)
            await _nodes.MarkReadyAsync(Ns, pod.Name());
        // Available one second after Ready, with nothing else happening: the controller looks again by itself.
        await TestApiServer.Eventually(async () => (await Read()).Status is { ReadyReplicas: 3, AvailableReplicas: 3 }, "3 ready and available");
        Assert.Matches(@"^web\s+3\s+3\s+3\s", _cluster.Kubectl.Ok("get", "rc", "web", "--no-headers"));

        // One goes unready: scaling to 2 takes it (graceful, the hollow kubelet ends it).
        var unready = pods[1];
        await _nodes.MarkReadyAsync(Ns, unready.Name(), ready: false);
        await TestApiServer.Eventually(async () => (await Read()).Status is { ReadyReplicas: 2 }, "2 ready");
        _cluster.Kubectl.Ok("scale", "rc", "web", "--replicas=2");
        await TestApiServer.Eventually(async () => (await _cluster.PodsAsync("app=web")).Count == 2, "the unready pod is deleted and gone");
        var left = await _cluster.PodsAsync("app=web");
        Assert.DoesNotContain(left, p => p.Name() == unready.Name());

        // A node is lost and its pod evicted: terminating (no kubelet ends it), so it is not a replica, and a
        // replacement comes at once (not after the lost pod is gone).
        var lost = left[0];
        _nodes.StopHeartbeats(lost.Spec.NodeName);
        await Client.CoreV1.CreateNamespacedPodEvictionAsync(new V1Eviction { Metadata = new V1ObjectMeta { Name = lost.Name(), NamespaceProperty = Ns } }, lost.Name(), Ns);
        await _cluster.WaitForPodsAsync("app=web", 2, now => now.All(p => p.Name() != lost.Name()));
        Assert.NotNull((await Client.CoreV1.ReadNamespacedPodAsync(lost.Name(), Ns)).Metadata.DeletionTimestamp);
        await BindAllAsync([.. _nodes.Names.Where(n => n != lost.Spec.NodeName)]);
        await WaitForRunningAsync(2);
        await TestApiServer.Eventually(async () => (await Read()).Status is { Replicas: 2 }, "status: 2 replicas, the terminating one not counted");
    }
}
