using k8s;
using k8s.Models;
using Kybernet.Controllers.NodeLifecycle;

namespace Kybernet.Controllers.Tests.NodeLifecycle;

/// <summary>`kubectl cordon` and `uncordon` (the real kubectl) and the unschedulable taint that follows them.</summary>
public sealed class CordonTests : IAsyncLifetime
{
    private TestApiServer _server = null!;
    private RunningController _controller = null!;

    public async Task InitializeAsync()
    {
        _server = await TestApiServer.StartAsync();
        await _server.Client.CoreV1.CreateNodeAsync(new V1Node
        {
            Metadata = new V1ObjectMeta { Name = "n1" },
            Status = new V1NodeStatus { Conditions = [new V1NodeCondition { Type = "Ready", Status = "True", LastHeartbeatTime = DateTime.UtcNow }] },
        });
        _controller = new RunningController(_server, (informers, log) => new NodeLifecycleController(informers, new NodeLifecycleOptions(), log));
    }

    public async Task DisposeAsync()
    {
        await _controller.DisposeAsync();
        await _server.DisposeAsync();
    }

    private async Task<string> TaintsAsync() =>
        string.Join(",", ((await _server.Client.CoreV1.ReadNodeAsync("n1")).Spec.Taints ?? []).Select(t => $"{t.Key}:{t.Effect}"));

    [Fact]
    public async Task Cordon_taints_the_node_unschedulable_and_uncordon_removes_it()
    {
        Assert.Contains("node/n1 cordoned", _server.Kubectl.Ok("cordon", "n1"));
        await TestApiServer.Eventually(async () => await TaintsAsync() == "node.kubernetes.io/unschedulable:NoSchedule", "the unschedulable taint appears");
        Assert.Matches(@"n1\s+Ready,SchedulingDisabled", _server.Kubectl.Ok("get", "node", "n1"));
        Assert.Matches(@"Taints:\s+node.kubernetes.io/unschedulable:NoSchedule", _server.Kubectl.Ok("describe", "node", "n1"));

        Assert.Contains("node/n1 uncordoned", _server.Kubectl.Ok("uncordon", "n1"));
        await TestApiServer.Eventually(async () => await TaintsAsync() == "", "the taint goes");
        // Logged after the write the test sees: waited for, not assumed.
        await TestApiServer.Eventually(() => Task.FromResult(_controller.Log.Contains("node n1: taints removed node.kubernetes.io/unschedulable:NoSchedule", StringComparison.Ordinal)), "the change is logged");
    }
}
