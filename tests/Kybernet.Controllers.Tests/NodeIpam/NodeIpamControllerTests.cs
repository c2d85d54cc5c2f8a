using System.Net;
using k8s;
using k8s.Models;
using Kybernet.Controllers.NodeIpam;

namespace Kybernet.Controllers.Tests.NodeIpam;

/// <summary>The node IPAM controller against a real API server (one per test), with kubectl where a user would look.</summary>
public sealed class NodeIpamControllerTests : IAsyncLifetime
{
    private TestApiServer _server = null!;

    public async Task InitializeAsync() => _server = await TestApiServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static NodeIpamOptions Cluster(string cidr) => new() { ClusterCidr = IPNetwork.Parse(cidr), RetryInterval = TimeSpan.FromMilliseconds(100) };

    private static string? PodCidr(IList<V1Node> nodes, string name) => nodes.Single(n => n.Name() == name).Spec?.PodCIDR;

    [Fact]
    public async Task Nodes_created_concurrently_get_distinct_node_cidrs_of_the_cluster_cidr()
    {
        await using var controller = new RunningController(_server);
        var names = Enumerable.Range(0, 20).Select(i => $"node-{i}").ToList();
        await Task.WhenAll(names.Select(n => _server.CreateNodeAsync(n)));

        var nodes = await _server.WaitForNodesAsync(ns => ns.Count == 20 && ns.All(n => n.Spec?.PodCIDR is not null), "all 20 nodes get a podCIDR");
        var cidrs = nodes.Select(n => IPNetwork.Parse(n.Spec.PodCIDR)).ToList();
        Assert.Equal(20, cidrs.Distinct().Count());
        Assert.All(cidrs, c => Assert.Equal(24, c.PrefixLength));
        Assert.All(cidrs, c => Assert.True(IPNetwork.Parse("10.244.0.0/16").Contains(c.BaseAddress), $"{c} in 10.244.0.0/16"));
        // Lowest first: together they are exactly the first 20.
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"10.244.{i}.0/24").Order(), cidrs.Select(c => c.ToString()).Order());
        Assert.All(nodes, n => Assert.Equal([n.Spec.PodCIDR], n.Spec.PodCIDRs));

        // What a user sees.
        var table = _server.Kubectl.Ok("get", "nodes", "-o", "custom-columns=NAME:.metadata.name,CIDR:.spec.podCIDR,CIDRS:.spec.podCIDRs", "--no-headers");
        Assert.Contains(nodes[0].Spec.PodCIDR, table);
        Assert.Equal(20, table.Trim().Split('\n').Length);
    }

    [Fact]
    public async Task Pod_cidrs_already_set_are_honoured_and_skipped()
    {
        await _server.CreateNodeAsync("a", "10.244.0.0/24");
        await _server.CreateNodeAsync("b", "10.244.2.0/24");
        var before = (await _server.Client.CoreV1.ListNodeAsync()).Items.ToDictionary(n => n.Name(), n => n.ResourceVersion());

        await using var controller = new RunningController(_server);
        await _server.CreateNodeAsync("c");
        Assert.Equal("10.244.1.0/24", await _server.WaitForPodCidrAsync("c"));
        await _server.CreateNodeAsync("d");
        Assert.Equal("10.244.3.0/24", await _server.WaitForPodCidrAsync("d"));

        var after = (await _server.Client.CoreV1.ListNodeAsync()).Items;
        Assert.Equal("10.244.0.0/24", PodCidr(after, "a"));
        Assert.Equal("10.244.2.0/24", PodCidr(after, "b"));
        Assert.Equal(before["a"], after.Single(n => n.Name() == "a").ResourceVersion()); // not even rewritten
        Assert.Equal(before["b"], after.Single(n => n.Name() == "b").ResourceVersion());
    }

    [Fact]
    public async Task Deleting_a_node_frees_its_cidr_for_a_new_node()
    {
        await using var controller = new RunningController(_server, Cluster("10.244.0.0/22"));
        foreach (var name in new[] { "n0", "n1", "n2", "n3" })
        {
            await _server.CreateNodeAsync(name);
            await _server.WaitForPodCidrAsync(name);
        }
        var nodes = (await _server.Client.CoreV1.ListNodeAsync()).Items;
        var freed = PodCidr(nodes, "n1");
        Assert.Equal("10.244.1.0/24", freed);

        _server.Kubectl.Ok("delete", "node", "n1");
        await _server.CreateNodeAsync("n4");
        Assert.Equal(freed, await _server.WaitForPodCidrAsync("n4"));
        Assert.Contains("node n1 is gone: released 10.244.1.0/24", controller.Log);
    }

    [Fact]
    public async Task A_cidr_two_nodes_claim_stays_taken_when_one_of_them_goes()
    {
        await using var controller = new RunningController(_server, Cluster("10.244.0.0/22"));
        await _server.CreateNodeAsync("first");
        var shared = await _server.WaitForPodCidrAsync("first");
        // Another allocator (or a person) gave the same CIDR to a second node: it keeps it.
        await _server.CreateNodeAsync("second", shared);
        Assert.Equal(shared, await _server.WaitForPodCidrAsync("second"));

        _server.Kubectl.Ok("delete", "node", "first");
        await _server.CreateNodeAsync("third");

        // The CIDR still belongs to "second": "third" gets another one.
        Assert.NotEqual(shared, await _server.WaitForPodCidrAsync("third"));
    }

    [Fact]
    public async Task A_restarted_controller_rebuilds_its_map_from_the_nodes_and_reassigns_nothing()
    {
        IList<V1Node> first;
        await using (new RunningController(_server))
        {
            foreach (var name in new[] { "a", "b", "c" })
                await _server.CreateNodeAsync(name);
            first = await _server.WaitForNodesAsync(ns => ns.Count == 3 && ns.All(n => n.Spec?.PodCIDR is not null), "a, b and c get a podCIDR");
        }
        // Nodes that join while no controller runs wait for the next one.
        await _server.CreateNodeAsync("d");
        await _server.CreateNodeAsync("e");

        await using var again = new RunningController(_server);
        var all = await _server.WaitForNodesAsync(ns => ns.Count == 5 && ns.All(n => n.Spec?.PodCIDR is not null), "d and e get a podCIDR");
        foreach (var node in first)
        {
            var now = all.Single(n => n.Name() == node.Name());
            Assert.Equal(node.Spec.PodCIDR, now.Spec.PodCIDR);
            Assert.Equal(node.ResourceVersion(), now.ResourceVersion());
        }
        Assert.Equal(5, all.Select(n => n.Spec.PodCIDR).Distinct().Count());
        Assert.Equal(["10.244.3.0/24", "10.244.4.0/24"], new[] { PodCidr(all, "d")!, PodCidr(all, "e")! });
    }

    [Fact]
    public async Task An_exhausted_range_is_reported_with_an_event_and_served_when_a_node_goes()
    {
        await using var controller = new RunningController(_server, Cluster("10.244.0.0/23"));
        await _server.CreateNodeAsync("a");
        await _server.CreateNodeAsync("b");
        await _server.WaitForNodesAsync(ns => ns.Count(n => n.Spec?.PodCIDR is not null) == 2, "a and b get the two /24s");
        await _server.CreateNodeAsync("c");

        var deadline = DateTime.UtcNow + TestApiServer.Patience;
        Corev1Event? reported = null;
        while (reported is null && DateTime.UtcNow < deadline)
        {
            reported = (await _server.Client.CoreV1.ListNamespacedEventAsync("default")).Items
                .FirstOrDefault(e => e.Reason == NodeIpamController.ExhaustedReason && e.InvolvedObject.Name == "c");
            if (reported is null)
                await Task.Delay(50);
        }
        Assert.NotNull(reported);
        Assert.Equal("Warning", reported.Type);
        Assert.Equal("Node", reported.InvolvedObject.Kind);
        Assert.Equal("no free /24 left in cluster CIDR 10.244.0.0/23 for node c: all 2 are assigned; it gets one when a node is deleted", reported.Message);
        Assert.Contains("no free /24 left in cluster CIDR 10.244.0.0/23 for node c", controller.Log);
        Assert.Contains("CIDRNotAvailable", _server.Kubectl.Ok("get", "events", "-n", "default", "--field-selector", "involvedObject.name=c"));
        Assert.Null((await _server.Client.CoreV1.ReadNodeAsync("c")).Spec?.PodCIDR);
        // One report per node, not one per update.
        await _server.Client.CoreV1.PatchNodeAsync(new V1Patch("""{"metadata":{"labels":{"touched":"yes"}}}""", V1Patch.PatchType.MergePatch), "c");
        var b = (await _server.Client.CoreV1.ReadNodeAsync("b")).Spec.PodCIDR;

        await _server.DeleteNodeAsync("b");
        Assert.Equal(b, await _server.WaitForPodCidrAsync("c"));
        Assert.Single((await _server.Client.CoreV1.ListNamespacedEventAsync("default")).Items, e => e.Reason == NodeIpamController.ExhaustedReason);
    }

    [Fact]
    public async Task The_watch_resumes_after_the_server_restarts_and_relists_when_its_revision_was_compacted()
    {
        await using var controller = new RunningController(_server, Cluster("10.244.0.0/23"));
        await _server.CreateNodeAsync("a");
        await _server.CreateNodeAsync("b");
        await _server.WaitForNodesAsync(ns => ns.Count(n => n.Spec?.PodCIDR is not null) == 2, "a and b get the two /24s");
        var a = (await _server.Client.CoreV1.ReadNodeAsync("a")).Spec.PodCIDR;

        // A plain restart: connections drop, the watch resumes from its resourceVersion.
        await _server.RestartAsync();
        await _server.DeleteNodeAsync("b");
        await _server.CreateNodeAsync("c");
        var c = await _server.WaitForPodCidrAsync("c");

        // While the server is down, "a" goes, "d" comes and the store is compacted past the controller's revision:
        // resuming gets 410 Gone, so the controller lists again and sees both.
        await _server.RestartAsync(whileDown: () => _server.WithSideServerAsync(async side =>
        {
            await side.CoreV1.DeleteNodeAsync("a");
            await side.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = "d" } });
            await _server.Store.CompactAsync(await _server.Store.CurrentRevisionAsync());
        }));
        Assert.Equal(a, await _server.WaitForPodCidrAsync("d"));
        Assert.Equal(c, (await _server.Client.CoreV1.ReadNodeAsync("c")).Spec.PodCIDR);
        Assert.Contains("listing again", controller.Log);
    }
}
