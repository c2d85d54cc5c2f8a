using k8s;

namespace Kybernet.Controllers.Tests.Scheduler;

/// <summary>The scheduler with hollow nodes (heartbeats, and a hollow kubelet that runs bound pods and ends graceful deletions).</summary>
public sealed class HollowClusterSchedulingTests : IAsyncLifetime
{
    private SchedulerCluster _cluster = null!;
    private HollowNodes _nodes = null!;

    public async Task InitializeAsync()
    {
        _cluster = await SchedulerCluster.StartAsync();
        _nodes = await HollowNodes.StartAsync(_cluster.Server, 3, new HollowNodeOptions { Cpu = "1" });
    }

    public async Task DisposeAsync()
    {
        await _nodes.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    private IKubernetes Client => _cluster.Client;

    [Fact]
    public async Task Pods_fill_the_hollow_nodes_and_a_waiting_pod_takes_the_place_of_one_deleted_gracefully()
    {
        var owner = Guid.NewGuid().ToString();
        foreach (var i in new[] { 1, 2, 3 })
            await _cluster.CreatePodAsync($"web-{i}", p => { SchedulerCluster.OwnedBy(owner)(p); SchedulerCluster.Requesting(cpu: "600m")(p); });
        var placed = new List<string>();
        foreach (var i in new[] { 1, 2, 3 })
            placed.Add(await _cluster.WaitForNodeAsync($"web-{i}"));
        Assert.Equal(_nodes.Names.Order(), placed.Order());
        await TestApiServer.Eventually(async () => (await _cluster.ReadPodAsync("web-1")).Status?.Phase == "Running", "the hollow kubelet runs it");

        await _cluster.CreatePodAsync("late", SchedulerCluster.Requesting(cpu: "600m"));
        await _cluster.WaitForUnschedulableAsync("late",
            "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.");

        // Graceful: terminating first (still holding its cpu), then gone once the hollow kubelet ends it.
        await Client.CoreV1.DeleteNamespacedPodAsync("web-2", "default");
        Assert.Equal(placed[1], await _cluster.WaitForNodeAsync("late"));
    }
}
