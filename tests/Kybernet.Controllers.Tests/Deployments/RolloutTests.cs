using k8s;
using k8s.Models;
using Kybernet.Controllers.Common;
using Kybernet.Controllers.Deployments;
using Kybernet.Controllers.Replication;

namespace Kybernet.Controllers.Tests.Deployments;

/// <summary>
/// Rollouts end to end: the deployment controller and the ReplicaSet controller together, three hollow nodes whose
/// hollow kubelet runs the pods bound to them (and ends their graceful deletion), the real kubectl, and the test in
/// the scheduler's place (binding each new pod to a node, round robin) and in the readiness probe's (marking running
/// pods Ready); a pod watch checks every moment of the rollout.
/// </summary>
public sealed class RolloutTests : IAsyncLifetime
{
    private TestApiServer _server = null!;
    private HollowNodes _nodes = null!;
    private readonly List<RunningController> _controllers = [];
    private readonly CancellationTokenSource _stopPlaying = new();
    private Task _playing = Task.CompletedTask;

    public async Task InitializeAsync()
    {
        _server = await TestApiServer.StartAsync();
        _nodes = await HollowNodes.StartAsync(_server);
        _controllers.Add(new RunningController(_server, (informers, log) => ReplicaControllers.ReplicaSets(informers, log: log)));
        _controllers.Add(new RunningController(_server, (informers, log) => new DeploymentController(informers, log: log)));
        _playing = Task.Run(() => BindAndMarkReadyAsync(_stopPlaying.Token));
    }

    public async Task DisposeAsync()
    {
        await _stopPlaying.CancelAsync();
        await _playing;
        foreach (var controller in _controllers)
            await controller.DisposeAsync();
        await _nodes.DisposeAsync();
        await _server.DisposeAsync();
        _stopPlaying.Dispose();
    }

    private IKubernetes Client => _server.Client;

    /// <summary>Pods whose image is this one are never made Ready (a broken release).</summary>
    private volatile string? _neverReadyImage;

    private async Task BindAndMarkReadyAsync(CancellationToken ct)
    {
        var next = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                foreach (var pod in (await Client.CoreV1.ListNamespacedPodAsync("default", cancellationToken: ct)).Items)
                {
                    if (PodState.IsTerminating(pod) || PodState.IsReady(pod))
                        continue;
                    try
                    {
                        if (!PodState.IsScheduled(pod))
                        {
                            var node = _nodes.Names[next++ % _nodes.Names.Count];
                            await Client.CoreV1.CreateNamespacedPodBindingAsync(new V1Binding
                            {
                                Metadata = new V1ObjectMeta { Name = pod.Name() },
                                Target = new V1ObjectReference { Kind = "Node", Name = node },
                            }, pod.Name(), "default", cancellationToken: ct);
                        }
                        else if (pod.Status?.PodIP is not null && pod.Spec.Containers[0].Image != _neverReadyImage)
                            await _nodes.MarkReadyAsync("default", pod.Name());
                    }
                    catch (k8s.Autorest.HttpOperationException e) when ((int)e.Response.StatusCode is 404 or 409)
                    {
                        // Deleted or bound meanwhile: the next round sees it as it is.
                    }
                }
                await Task.Delay(30, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private Task<V1Deployment> Deployment(string name) => Client.AppsV1.ReadNamespacedDeploymentAsync(name, "default");

    private async Task<List<V1Pod>> Pods() => [.. (await Client.CoreV1.ListNamespacedPodAsync("default")).Items];

    private async Task WaitRolledOutAsync(string name, string image, int replicas)
    {
        await TestApiServer.Eventually(async () =>
        {
            var d = await Deployment(name);
            var pods = await Pods();
            return d.Status?.ObservedGeneration >= d.Metadata.Generation && d.Status.UpdatedReplicas == replicas && d.Status.AvailableReplicas == replicas && d.Status.Replicas == replicas &&
                   pods.Count == replicas && pods.All(p => p.Spec.Containers[0].Image == image && PodState.IsReady(p));
        }, $"{name} rolled out on {image}");
    }

    [Fact]
    public async Task Set_image_never_drops_below_replicas_minus_max_unavailable_ready_pods_and_undo_returns_to_the_old_template()
    {
        await using var watch = new PodWatch(Client);
        _server.Kubectl.Ok("create", "deployment", "web", "--image=busybox", "--replicas=3");
        // maxSurge 1, maxUnavailable 1: at least 2 of 3 Ready at every moment.
        _server.Kubectl.Ok("patch", "deployment/web", "-p", "{\"spec\":{\"strategy\":{\"rollingUpdate\":{\"maxSurge\":1,\"maxUnavailable\":1}}}}");
        await WaitRolledOutAsync("web", "busybox", 3);
        var firstRs = Assert.Single((await Client.AppsV1.ListNamespacedReplicaSetAsync("default")).Items);
        Assert.Equal(3, (await Pods()).Select(p => p.Spec.NodeName).Distinct().Count());
        Assert.All(await Pods(), p => Assert.Equal(firstRs.Spec.Template.Metadata.Labels["pod-template-hash"], p.Metadata.Labels["pod-template-hash"]));

        await watch.SyncedAsync();
        watch.Reset();
        _server.Kubectl.Ok("set", "image", "deployment/web", "busybox=busybox:2");
        await WaitRolledOutAsync("web", "busybox:2", 3);
        Assert.Contains("successfully rolled out", _server.Kubectl.Ok("rollout", "status", "deployment/web", "--timeout=20s"));
        Assert.True(watch.FewestReady >= 2, $"fewest Ready pods during the rollout: {watch.FewestReady}");
        var sets = (await Client.AppsV1.ListNamespacedReplicaSetAsync("default")).Items;
        Assert.Equal(0, sets.Single(rs => rs.Uid() == firstRs.Uid()).Spec.Replicas);

        watch.Reset();
        _server.Kubectl.Ok("rollout", "undo", "deployment/web");
        await WaitRolledOutAsync("web", "busybox", 3);
        Assert.True(watch.FewestReady >= 2, $"fewest Ready pods during the undo: {watch.FewestReady}");
        var back = (await Client.AppsV1.ReadNamespacedReplicaSetAsync(firstRs.Name(), "default"));
        Assert.Equal((firstRs.Uid(), 3, "3"), (back.Uid(), back.Spec.Replicas, back.Metadata.Annotations[DeploymentAnnotations.Revision]));
        Assert.All(await Pods(), p => Assert.Equal(firstRs.Spec.Template.Metadata.Labels["pod-template-hash"], p.Metadata.Labels["pod-template-hash"]));
        Assert.Contains("successfully rolled out", _server.Kubectl.Ok("rollout", "status", "deployment/web", "--timeout=20s"));
    }

    [Fact]
    public async Task Recreate_never_has_old_and_new_pods_at_once()
    {
        await using var watch = new PodWatch(Client);
        _server.Kubectl.Ok("create", "deployment", "web", "--image=busybox", "--replicas=3");
        _server.Kubectl.Ok("patch", "deployment/web", "-p", "{\"spec\":{\"strategy\":{\"type\":\"Recreate\",\"rollingUpdate\":null}}}");
        await WaitRolledOutAsync("web", "busybox", 3);
        await watch.SyncedAsync();
        watch.Reset();
        _server.Kubectl.Ok("set", "image", "deployment/web", "busybox=busybox:2");
        await WaitRolledOutAsync("web", "busybox:2", 3);
        Assert.False(watch.ImagesOverlapped, "old and new pods existed at the same time");
        Assert.True(watch.SawTerminating, "the old pods went through graceful deletion (the rollout had to wait for them)");
        Assert.True(watch.Events > 6, $"the watch saw the rollout ({watch.Events} events)");
    }

    [Fact]
    public async Task Pods_that_never_become_ready_exceed_the_progress_deadline_and_the_old_pods_stay()
    {
        _server.Kubectl.Ok("create", "deployment", "web", "--image=busybox", "--replicas=2");
        _server.Kubectl.Ok("patch", "deployment/web", "-p", "{\"spec\":{\"progressDeadlineSeconds\":2}}");
        await WaitRolledOutAsync("web", "busybox", 2);
        _neverReadyImage = "busybox:broken";
        _server.Kubectl.Ok("set", "image", "deployment/web", "busybox=busybox:broken");
        await TestApiServer.Eventually(async () => (await Deployment("web")).Status?.Conditions?.FirstOrDefault(c => c.Type == "Progressing") is { Status: "False", Reason: "ProgressDeadlineExceeded" }, "the deadline passes");
        var pods = await Pods();
        Assert.Equal(2, pods.Count(p => p.Spec.Containers[0].Image == "busybox" && PodState.IsReady(p)));
        var failed = _server.Kubectl.Run("rollout", "status", "deployment/web", "--timeout=20s");
        Assert.Contains("error: deployment \"web\" exceeded its progress deadline", failed.Stderr);
    }
}
