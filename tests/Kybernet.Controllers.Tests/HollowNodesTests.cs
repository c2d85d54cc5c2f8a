using k8s;
using k8s.Models;

namespace Kybernet.Controllers.Tests;

/// <summary>The fixture the controller tests lean on does what it says: the node's part, through the API.</summary>
public sealed class HollowNodesTests
{
    [Fact]
    public async Task Nodes_are_ready_their_kubelet_runs_bound_pods_and_finishes_their_deletion_and_a_silent_node_stops_renewing()
    {
        await using var server = await TestApiServer.StartAsync();
        await using var nodes = await HollowNodes.StartAsync(server, 2);
        var client = server.Client;

        var listed = (await client.CoreV1.ListNodeAsync()).Items;
        Assert.Equal(["hollow-0", "hollow-1"], listed.Select(n => n.Metadata.Name).Order());
        Assert.All(listed, n => Assert.Equal("True", n.Status.Conditions.Single(c => c.Type == "Ready").Status));

        await client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "p" },
            Spec = new V1PodSpec { NodeName = "hollow-1", Containers = [new V1Container { Name = "c", Image = "busybox" }] },
        }, "default");
        await TestApiServer.Eventually(async () => (await client.CoreV1.ReadNamespacedPodAsync("p", "default")).Status?.PodIP is not null, "the hollow kubelet runs the pod");
        var running = await client.CoreV1.ReadNamespacedPodAsync("p", "default");
        Assert.Equal("Running", running.Status.Phase);
        Assert.Equal("False", running.Status.Conditions.Single(c => c.Type == "Ready").Status);

        await nodes.MarkReadyAsync("default", "p");
        Assert.Equal("True", (await client.CoreV1.ReadNamespacedPodAsync("p", "default")).Status.Conditions.Single(c => c.Type == "Ready").Status);

        await client.CoreV1.DeleteNamespacedPodAsync("p", "default");
        await TestApiServer.Eventually(async () => (await client.CoreV1.ListNamespacedPodAsync("default")).Items.Count == 0, "the kubelet finishes the graceful deletion");

        nodes.StopHeartbeats("hollow-0");
        var stopped = (await client.CoordinationV1.ReadNamespacedLeaseAsync("hollow-0", HollowNodes.LeaseNamespace)).Spec.RenewTime;
        await TestApiServer.Eventually(async () => (await client.CoordinationV1.ReadNamespacedLeaseAsync("hollow-1", HollowNodes.LeaseNamespace)).Spec.RenewTime > stopped.GetValueOrDefault().AddSeconds(2),
            "the other node renews for two more seconds");
        Assert.True((await client.CoordinationV1.ReadNamespacedLeaseAsync("hollow-0", HollowNodes.LeaseNamespace)).Spec.RenewTime <= stopped.GetValueOrDefault().AddSeconds(1.5));
        Assert.Empty(nodes.Failures);
    }
}
