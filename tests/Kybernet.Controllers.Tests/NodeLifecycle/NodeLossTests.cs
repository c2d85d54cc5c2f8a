using k8s;
using k8s.Models;
using Kybernet.Controllers.NodeLifecycle;
using Kybernet.Controllers.TaintEviction;

namespace Kybernet.Controllers.Tests.NodeLifecycle;

/// <summary>
/// A hollow node whose heartbeats stop, under the node lifecycle and taint eviction controllers with a 3 s grace period:
/// it is called Unknown and tainted unreachable, its pods go after their tolerationSeconds (or never), and it is
/// untainted when it comes back.
/// </summary>
public sealed class NodeLossTests : IAsyncLifetime
{
    private TestApiServer _server = null!;
    private HollowNodes _nodes = null!;
    private RunningController _lifecycle = null!;
    private RunningController _eviction = null!;

    public async Task InitializeAsync()
    {
        _server = await TestApiServer.StartAsync();
        _nodes = await HollowNodes.StartAsync(_server, 2, new HollowNodeOptions { ReadyAtOnce = true, HeartbeatPeriod = TimeSpan.FromMilliseconds(500) });
        _lifecycle = new RunningController(_server, (informers, log) => new NodeLifecycleController(informers, new NodeLifecycleOptions
        {
            GracePeriod = TimeSpan.FromSeconds(3),
            MonitorPeriod = TimeSpan.FromMilliseconds(500),
        }, log));
        _eviction = new RunningController(_server, (informers, log) => new TaintEvictionController(informers, new TaintEvictionOptions(), log));
    }

    public async Task DisposeAsync()
    {
        await _eviction.DisposeAsync();
        await _lifecycle.DisposeAsync();
        await _nodes.DisposeAsync();
        await _server.DisposeAsync();
    }

    private IKubernetes Client => _server.Client;

    private Task CreatePodAsync(string name, string node, params V1Toleration[] tolerations) =>
        Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1PodSpec { NodeName = node, Tolerations = tolerations, Containers = [new V1Container { Name = "c", Image = "busybox" }] },
        }, "default");

    private static V1Toleration Unreachable(long? seconds) =>
        new() { Key = "node.kubernetes.io/unreachable", OperatorProperty = "Exists", Effect = "NoExecute", TolerationSeconds = seconds };

    private async Task<V1Pod?> PodAsync(string name)
    {
        try { return await Client.CoreV1.ReadNamespacedPodAsync(name, "default"); }
        catch (k8s.Autorest.HttpOperationException e) when ((int)e.Response.StatusCode == 404) { return null; }
    }

    private async Task<string> TaintsAsync(string node) =>
        string.Join(",", ((await Client.CoreV1.ReadNodeAsync(node)).Spec.Taints ?? []).Select(t => $"{t.Key}:{t.Effect}").Order());

    [Fact]
    public async Task A_silent_node_is_unknown_and_tainted_its_pods_go_after_their_toleration_and_it_is_untainted_when_it_returns()
    {
        await CreatePodAsync("brief", "hollow-0", Unreachable(2));
        await CreatePodAsync("forever", "hollow-0", Unreachable(null));
        await CreatePodAsync("defaulted", "hollow-0"); // 300 s from admission
        await CreatePodAsync("elsewhere", "hollow-1", Unreachable(2));
        await TestApiServer.Eventually(async () => (await Client.CoreV1.ListNamespacedPodAsync("default")).Items.All(p => p.Status?.Phase == "Running"), "the hollow kubelet runs the pods");
        Assert.Equal(["node.kubernetes.io/not-ready:NoExecute:300", "node.kubernetes.io/unreachable:NoExecute:300"],
            (await PodAsync("defaulted"))!.Spec.Tolerations.Select(t => $"{t.Key}:{t.Effect}:{t.TolerationSeconds}"));
        await Task.Delay(3500); // longer than the grace period: heartbeating nodes stay Ready
        Assert.Equal("", await TaintsAsync("hollow-0"));

        _nodes.StopHeartbeats("hollow-0");
        await TestApiServer.Eventually(async () => await TaintsAsync("hollow-0") == "node.kubernetes.io/unreachable:NoExecute,node.kubernetes.io/unreachable:NoSchedule", "the silent node is tainted unreachable");
        var lost = await Client.CoreV1.ReadNodeAsync("hollow-0");
        Assert.All(lost.Status.Conditions, c => Assert.Equal(("Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status."), (c.Status, c.Reason, c.Message)));
        Assert.All(lost.Spec.Taints, t => Assert.NotNull(t.TimeAdded));
        Assert.Matches(@"hollow-0\s+NotReady", _server.Kubectl.Ok("get", "node", "hollow-0"));
        Assert.Equal("", await TaintsAsync("hollow-1"));

        await TestApiServer.Eventually(async () => (await PodAsync("brief"))?.Metadata.DeletionTimestamp is not null, "the pod tolerating it for 2 s is evicted");
        var disrupted = (await PodAsync("brief"))!.Status.Conditions.Single(c => c.Type == "DisruptionTarget");
        Assert.Equal(("True", "DeletionByTaintManager", "Taint manager: deleting due to NoExecute taint"), (disrupted.Status, disrupted.Reason, disrupted.Message));
        // A dead node's pods stay Terminating (no kubelet ends them), and lose their Ready condition at once.
        Assert.Equal("False", (await PodAsync("forever"))!.Status.Conditions.Single(c => c.Type == "Ready").Status);
        await TestApiServer.Eventually(async () => (await Client.CoreV1.ListNamespacedEventAsync("default")).Items
            .Any(e => e.Reason == "TaintManagerEviction" && e.Message == "Marking for deletion Pod default/brief" && e.InvolvedObject.Name == "brief"), "the eviction is told in an event");
        await Task.Delay(500);
        foreach (var kept in new[] { "forever", "defaulted", "elsewhere" })
            Assert.Null((await PodAsync(kept))!.Metadata.DeletionTimestamp);

        _nodes.ResumeHeartbeats("hollow-0");
        await TestApiServer.Eventually(async () => await TaintsAsync("hollow-0") == "", "the node that is back loses its taints");
        await TestApiServer.Eventually(async () => await PodAsync("brief") is null, "its kubelet, back, ends the evicted pod's deletion");
        foreach (var kept in new[] { "forever", "defaulted", "elsewhere" })
            Assert.Null((await PodAsync(kept))!.Metadata.DeletionTimestamp);
        Assert.Contains("node hollow-0: no heartbeat for 3 s, conditions set to Unknown (Ready was True)", _lifecycle.Log);
        Assert.Contains("pod default/brief evicted from node hollow-0 for its NoExecute taints node.kubernetes.io/unreachable:NoExecute", _eviction.Log);
    }
}
