using k8s;
using k8s.Models;
using Kybernet.Controllers.NodeLifecycle;

namespace Kybernet.Controllers.Tests.NodeLifecycle;

/// <summary>`kubectl drain` (the real kubectl) against hollow nodes: cordon, evictions through pods/eviction, the hollow kubelet ending them.</summary>
public sealed class DrainTests : IAsyncLifetime
{
    private TestApiServer _server = null!;
    private HollowNodes _nodes = null!;
    private RunningController _lifecycle = null!;

    public async Task InitializeAsync()
    {
        _server = await TestApiServer.StartAsync();
        _nodes = await HollowNodes.StartAsync(_server, 2);
        _lifecycle = new RunningController(_server, (informers, log) => new NodeLifecycleController(informers, new NodeLifecycleOptions(), log));
    }

    public async Task DisposeAsync()
    {
        await _lifecycle.DisposeAsync();
        await _nodes.DisposeAsync();
        await _server.DisposeAsync();
    }

    private IKubernetes Client => _server.Client;

    private Task CreatePodAsync(string name, string node) =>
        Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1PodSpec { NodeName = node, TerminationGracePeriodSeconds = 5, Containers = [new V1Container { Name = "c", Image = "busybox" }] },
        }, "default");

    private async Task<IEnumerable<string>> PodsOnAsync(string node) =>
        (await Client.CoreV1.ListNamespacedPodAsync("default", fieldSelector: $"spec.nodeName={node}")).Items.Select(p => p.Name()).Order();

    [Fact]
    public async Task Drain_cordons_the_node_evicts_its_pods_and_uncordon_lets_it_take_pods_again()
    {
        await CreatePodAsync("a", "hollow-0");
        await CreatePodAsync("b", "hollow-0");
        await CreatePodAsync("c", "hollow-1");
        await TestApiServer.Eventually(async () => (await Client.CoreV1.ListNamespacedPodAsync("default")).Items.All(p => p.Status?.Phase == "Running"), "the hollow kubelet runs the pods");

        // --force: these pods have no controller to replace them.
        var drained = _server.Kubectl.Ok("drain", "hollow-0", "--force", "--timeout=20s");
        Assert.Contains("node/hollow-0 cordoned", drained);
        Assert.Contains("evicting pod default/a", drained);
        Assert.Contains("pod/b evicted", drained);
        Assert.Contains("node/hollow-0 drained", drained);
        Assert.Empty(await PodsOnAsync("hollow-0"));
        Assert.Equal(["c"], await PodsOnAsync("hollow-1"));
        await TestApiServer.Eventually(async () => (await Client.CoreV1.ReadNodeAsync("hollow-0")).Spec.Taints?.Any(t => t.Key == "node.kubernetes.io/unschedulable") == true, "the cordoned node is tainted");
        Assert.Matches(@"hollow-0\s+Ready,SchedulingDisabled", _server.Kubectl.Ok("get", "node", "hollow-0"));

        Assert.Contains("node/hollow-0 uncordoned", _server.Kubectl.Ok("uncordon", "hollow-0"));
        await TestApiServer.Eventually(async () => (await Client.CoreV1.ReadNodeAsync("hollow-0")).Spec.Taints is null or { Count: 0 }, "the taint goes");
    }
}
