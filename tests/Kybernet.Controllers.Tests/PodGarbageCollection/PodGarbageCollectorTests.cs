using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using Kybernet.Controllers.PodGarbageCollection;

namespace Kybernet.Controllers.Tests.PodGarbageCollection;

/// <summary>The pod garbage collector against a real API server, passing every 200 ms with no quarantine.</summary>
public sealed class PodGarbageCollectorTests : IAsyncLifetime
{
    private TestApiServer _server = null!;
    private RunningController _gc = null!;

    public async Task InitializeAsync()
    {
        _server = await TestApiServer.StartAsync();
        await _server.CreateNodeAsync("alive");
        _gc = new RunningController(_server, (informers, log) => new PodGarbageCollector(informers, new PodGarbageCollectorOptions
        {
            Period = TimeSpan.FromMilliseconds(200),
            Quarantine = TimeSpan.Zero,
            TerminatedPodThreshold = 2,
        }, log));
    }

    public async Task DisposeAsync()
    {
        await _gc.DisposeAsync();
        await _server.DisposeAsync();
    }

    private IKubernetes Client => _server.Client;

    private Task<V1Pod> CreatePodAsync(string name, string node) => Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec { NodeName = node, Containers = [new V1Container { Name = "c", Image = "busybox" }] },
    }, "default");

    private async Task<V1Pod?> FindAsync(string name)
    {
        try { return await Client.CoreV1.ReadNamespacedPodAsync(name, "default"); }
        catch (k8s.Autorest.HttpOperationException e) when ((int)e.Response.StatusCode == 404) { return null; }
    }

    private Task SetPhaseAsync(string name, string phase) =>
        Client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(new { status = new { phase } }, V1Patch.PatchType.MergePatch), name, "default");

    /// <summary>Logged after the deletion the test sees: waited for, not assumed.</summary>
    private Task LoggedAsync(string line) =>
        TestApiServer.Eventually(() => Task.FromResult(_gc.Log.Contains(line, StringComparison.Ordinal)), $"the log says \"{line}\"");

    [Fact]
    public async Task Pods_bound_to_a_node_that_does_not_exist_are_deleted_and_others_stay()
    {
        await CreatePodAsync("orphan", "ghost");
        await CreatePodAsync("housed", "alive");
        await TestApiServer.Eventually(async () => await FindAsync("orphan") is null, "the orphan is deleted");
        Assert.NotNull(await FindAsync("housed"));
        await LoggedAsync("force-deleted pod default/orphan: its node ghost does not exist");
    }

    [Fact]
    public async Task Finished_pods_beyond_the_threshold_go_oldest_first()
    {
        foreach (var name in new[] { "done-1", "done-2", "done-3", "done-4", "running" })
        {
            await CreatePodAsync(name, "alive");
            await Task.Delay(1100); // creationTimestamp has seconds: each pod older than the next
        }
        foreach (var name in new[] { "done-1", "done-2", "done-3", "done-4" })
            await SetPhaseAsync(name, name is "done-2" ? "Failed" : "Succeeded");
        await TestApiServer.Eventually(async () => await FindAsync("done-1") is null && await FindAsync("done-2") is null, "the two oldest finished pods go");
        foreach (var name in new[] { "done-3", "done-4", "running" })
            Assert.NotNull(await FindAsync(name));
        // A collection may run between two of the phase writes above, when only 3 had finished.
        await TestApiServer.Eventually(() => Task.FromResult(Regex.IsMatch(_gc.Log, "force-deleted pod default/done-1: [34] finished pods exceed the threshold of 2")),
            "the log says why done-1 was deleted");
    }

    [Fact]
    public async Task Terminating_pods_on_a_node_out_of_service_are_force_deleted()
    {
        await Client.CoreV1.CreateNodeAsync(new V1Node
        {
            Metadata = new V1ObjectMeta { Name = "broken" },
            Spec = new V1NodeSpec { Taints = [new V1Taint { Key = PodGarbageCollector.OutOfServiceTaint, Value = "nodeshutdown", Effect = "NoExecute" }] },
            Status = new V1NodeStatus { Conditions = [new V1NodeCondition { Type = "Ready", Status = "False" }] },
        });
        await CreatePodAsync("stuck", "broken");
        await CreatePodAsync("stuck-elsewhere", "alive");
        // Its node exists, so the deletions are graceful: without a kubelet both would stay terminating.
        await Client.CoreV1.DeleteNamespacedPodAsync("stuck", "default");
        await Client.CoreV1.DeleteNamespacedPodAsync("stuck-elsewhere", "default");
        await TestApiServer.Eventually(async () => await FindAsync("stuck") is null, "the pod on the out-of-service node goes");
        Assert.NotNull((await FindAsync("stuck-elsewhere"))?.Metadata.DeletionTimestamp);
        await LoggedAsync("force-deleted pod default/stuck: it is terminating on node broken, which is out of service");
    }
}
