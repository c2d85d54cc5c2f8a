using k8s;
using k8s.Models;
using Kybernet.Controllers.Common;
using Kybernet.Controllers.DaemonSets;
using Kybernet.Controllers.Scheduler;

namespace Kybernet.Controllers.Tests.DaemonSets;

/// <summary>The DaemonSet controller against a real API server, nodes the test plays, and the real kubectl.</summary>
public sealed class DaemonSetControllerTests : IAsyncLifetime
{
    private const string Ns = "default";
    private TestApiServer _server = null!;
    private RunningController _controller = null!;
    private RunningController _scheduler = null!;
    private HollowNodes _nodes = null!;

    public async Task InitializeAsync()
    {
        _server = await TestApiServer.StartAsync();
        _controller = new RunningController(_server, (informers, log) =>
            new DaemonSetController(informers, new DaemonSetControllerOptions { FailedPodBackoff = TimeSpan.FromMilliseconds(100) }, log));
        // The real scheduler places the pods (their node-name affinity); hollow nodes run them, Ready at once.
        _scheduler = new RunningController(_server, (informers, log) => new PodScheduler(informers, new SchedulerOptions(), log));
        _nodes = await HollowNodes.StartAsync(_server, count: 0, new HollowNodeOptions { ReadyAtOnce = true });
    }

    public async Task DisposeAsync()
    {
        await _nodes.DisposeAsync();
        await _scheduler.DisposeAsync();
        await _controller.DisposeAsync();
        await _server.DisposeAsync();
    }

    private IKubernetes Client => _server.Client;

    private static string DaemonSetYaml(string name, string podSpec = "", string image = "busybox") => $"""
        apiVersion: apps/v1
        kind: DaemonSet
        metadata:
          name: {name}
        spec:
          selector:
            matchLabels:
              app: {name}
          template:
            metadata:
              labels:
                app: {name}
            spec:
        {podSpec}
              containers:
              - name: main
                image: {image}
        """;

    private async Task<List<V1Pod>> PodsOf(string ds) =>
        [.. (await Client.CoreV1.ListNamespacedPodAsync(Ns, labelSelector: $"app={ds}")).Items];

    /// <summary>The nodes the live (not terminating) pods of <paramref name="ds"/> are on or meant for, sorted.</summary>
    private async Task<string> NodesOf(string ds) =>
        string.Join(",", (await PodsOf(ds)).Where(p => !PodState.IsTerminating(p)).Select(p => DaemonPlacement.TargetNode(p)).Order(StringComparer.Ordinal));

    private Task<V1DaemonSet> DaemonSet(string name) => Client.AppsV1.ReadNamespacedDaemonSetAsync(name, Ns);

    [Fact]
    public async Task A_daemonset_on_three_nodes_runs_one_pod_on_each_with_status_and_revision()
    {
        foreach (var name in new[] { "n1", "n2", "n3" })
            await _nodes.AddAsync(name);
        _server.Kubectl.OkWith(DaemonSetYaml("agent"), "create", "-f", "-");
        await TestApiServer.Eventually(async () => await NodesOf("agent") == "n1,n2,n3", "one pod per node");
        await TestApiServer.Eventually(async () => (await DaemonSet("agent")).Status is { DesiredNumberScheduled: 3, CurrentNumberScheduled: 3, NumberReady: 3, NumberAvailable: 3, UpdatedNumberScheduled: 3, NumberMisscheduled: 0 } s
            && s.ObservedGeneration == 1 && (s.NumberUnavailable ?? 0) == 0, "status counts the three");

        var pods = await PodsOf("agent");
        Assert.All(pods, pod =>
        {
            Assert.Equal(DaemonPlacement.TargetNode(pod), pod.Spec.NodeName); // bound there by the scheduler
            Assert.Equal("Running", pod.Status.Phase);
            Assert.Equal("DaemonSet", ControllerRefs.ControllerOf(pod.Metadata)!.Kind);
            Assert.Contains(pod.Spec.Tolerations, t => t.Key == Taints.Unreachable && t.Effect == Taints.NoExecute && t.TolerationSeconds is null);
            Assert.Contains(pod.Spec.Tolerations, t => t.Key == Taints.Unschedulable && t.Effect == Taints.NoSchedule);
            Assert.Equal("1", pod.Metadata.Labels[DaemonSetController.TemplateGenerationLabel]);
        });
        var revision = Assert.Single((await Client.AppsV1.ListNamespacedControllerRevisionAsync(Ns)).Items);
        Assert.Equal(1, revision.Revision);
        Assert.All(pods, pod => Assert.Equal(revision.Metadata.Labels[DaemonSetHistory.HashLabel], pod.Metadata.Labels[DaemonSetHistory.HashLabel]));
        Assert.Equal($"agent-{revision.Metadata.Labels[DaemonSetHistory.HashLabel]}", revision.Name());
        _server.Kubectl.Ok("rollout", "status", "ds/agent", "--timeout=20s");
    }

    [Fact]
    public async Task NodeSelector_and_untolerated_NoSchedule_taints_keep_pods_off_and_tolerations_let_them_on()
    {
        var worker = new Dictionary<string, string> { ["role"] = "worker" };
        await _nodes.AddAsync("worker-1", worker);
        await _nodes.AddAsync("worker-2", worker);
        await _nodes.AddAsync("tainted", worker, [new V1Taint { Key = "dedicated", Value = "db", Effect = "NoSchedule" }]);
        await _nodes.AddAsync("other");
        _server.Kubectl.OkWith(DaemonSetYaml("picky", "      nodeSelector:\n        role: worker"), "create", "-f", "-");
        _server.Kubectl.OkWith(DaemonSetYaml("tolerant", "      tolerations:\n      - key: dedicated\n        operator: Exists\n        effect: NoSchedule"), "create", "-f", "-");
        await TestApiServer.Eventually(async () => await NodesOf("picky") == "worker-1,worker-2", "picky: the untainted workers only");
        await TestApiServer.Eventually(async () => await NodesOf("tolerant") == "other,tainted,worker-1,worker-2", "tolerant: every node");
        await TestApiServer.Eventually(async () => (await DaemonSet("picky")).Status.DesiredNumberScheduled == 2, "picky wants 2");

        // A label taken away: the pod goes (it is misscheduled until then).
        _server.Kubectl.Ok("label", "node", "worker-2", "role-");
        await TestApiServer.Eventually(async () => await NodesOf("picky") == "worker-1", "worker-2 loses its pod");
        // A NoExecute taint not tolerated evicts; a NoSchedule one only keeps new pods off.
        _server.Kubectl.Ok("taint", "node", "worker-1", "gpu=yes:NoSchedule");
        await TestApiServer.Eventually(async () => (await DaemonSet("picky")).Status.DesiredNumberScheduled == 0, "desired 0");
        Assert.Equal("worker-1", await NodesOf("picky"));
        _server.Kubectl.Ok("taint", "node", "worker-1", "maintenance=now:NoExecute");
        await TestApiServer.Eventually(async () => await NodesOf("picky") == "", "worker-1 loses its pod to NoExecute");
    }

    [Fact]
    public async Task A_node_added_gets_a_pod_and_a_node_deleted_loses_it()
    {
        await _nodes.AddAsync("n1");
        await _nodes.AddAsync("n2");
        _server.Kubectl.OkWith(DaemonSetYaml("agent"), "create", "-f", "-");
        await TestApiServer.Eventually(async () => await NodesOf("agent") == "n1,n2", "a pod on each of two nodes");
        await _nodes.AddAsync("n3");
        await TestApiServer.Eventually(async () => await NodesOf("agent") == "n1,n2,n3", "the new node gets one");
        await _server.DeleteNodeAsync("n2");
        await TestApiServer.Eventually(async () => string.Join(",", (await PodsOf("agent")).Select(p => p.Spec.NodeName).Order(StringComparer.Ordinal)) == "n1,n3", "the deleted node's pod is gone");
        await TestApiServer.Eventually(async () => (await DaemonSet("agent")).Status is { DesiredNumberScheduled: 2, CurrentNumberScheduled: 2 }, "status: 2");
    }

    [Fact]
    public async Task A_matching_orphan_pod_is_adopted_and_a_pod_whose_labels_stop_matching_is_released_and_replaced()
    {
        await _nodes.AddAsync("n1");
        await _nodes.AddAsync("n2");
        var orphan = await Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "stray", Labels = new Dictionary<string, string> { ["app"] = "agent" } },
            Spec = new V1PodSpec { NodeName = "n1", Containers = [new V1Container { Name = "main", Image = "busybox" }] },
        }, Ns);
        // OnDelete: the adopted pod (of no revision) is not rolled away while we look.
        _server.Kubectl.OkWith(DaemonSetYaml("agent") + "\n  updateStrategy:\n    type: OnDelete", "create", "-f", "-");
        await TestApiServer.Eventually(async () => await NodesOf("agent") == "n1,n2", "one pod per node");
        var pods = await PodsOf("agent");
        var adopted = pods.Single(p => p.Spec.NodeName == "n1");
        Assert.Equal(orphan.Uid(), adopted.Uid()); // n1 got no second pod
        Assert.Equal("agent", ControllerRefs.ControllerOf(adopted.Metadata)!.Name);

        var onN2 = pods.Single(p => DaemonPlacement.TargetNode(p) == "n2");
        _server.Kubectl.Ok("label", "pod", onN2.Name(), "app=other", "--overwrite");
        await TestApiServer.Eventually(async () => (await PodsOf("agent")).Any(p => DaemonPlacement.TargetNode(p) == "n2" && p.Uid() != onN2.Uid()), "n2 gets a new pod");
        Assert.Null(ControllerRefs.ControllerOf((await Client.CoreV1.ReadNamespacedPodAsync(onN2.Name(), Ns)).Metadata));
    }

    [Fact]
    public async Task A_failed_pod_is_replaced()
    {
        await _nodes.AddAsync("n1");
        _server.Kubectl.OkWith(DaemonSetYaml("agent"), "create", "-f", "-");
        V1Pod? first = null;
        await TestApiServer.Eventually(async () => (first = (await PodsOf("agent")).SingleOrDefault(p => p.Status?.Phase == "Running")) is not null, "a running pod");
        await _nodes.FinishAsync(Ns, first!.Name(), succeeded: false);
        await TestApiServer.Eventually(async () => (await PodsOf("agent")) is [{ } replacement] && replacement.Uid() != first!.Uid() && replacement.Status?.Phase == "Running", "a new pod replaces it");
        Assert.Contains("Found failed daemon pod default/" + first!.Name() + " on node n1, will try to kill it", _controller.Log);
    }

    [Fact]
    public async Task With_maxSurge_a_new_pod_starts_beside_the_old_one_and_no_node_is_ever_without_a_ready_pod()
    {
        // Nodes of their own whose pods become Ready only when the test says (markReady).
        await using var nodes = await HollowNodes.StartAsync(_server, count: 0, new HollowNodeOptions { ReadyAtOnce = false });
        foreach (var name in new[] { "n1", "n2", "n3" })
            await nodes.AddAsync(name);
        var markReady = true;
        using var marking = new CancellationTokenSource();
        var marker = Task.Run(async () =>
        {
            while (!marking.IsCancellationRequested)
            {
                if (Volatile.Read(ref markReady))
                    foreach (var pod in (await PodsOf("agent")).Where(p => p.Status?.Phase == "Running" && !PodState.IsReady(p) && !PodState.IsTerminating(p)))
                        await nodes.MarkReadyAsync(Ns, pod.Name());
                await Task.Delay(20);
            }
        });
        _server.Kubectl.OkWith(DaemonSetYaml("agent") + "\n  updateStrategy:\n    rollingUpdate:\n      maxSurge: 1\n      maxUnavailable: 0", "create", "-f", "-");
        _server.Kubectl.Ok("rollout", "status", "ds/agent", "--timeout=20s");

        using var watching = new CancellationTokenSource();
        int fewestReady = 3, mostPods = 3;
        var watcher = Task.Run(async () =>
        {
            while (!watching.IsCancellationRequested)
            {
                var live = (await PodsOf("agent")).Where(p => !PodState.IsTerminating(p)).ToList();
                fewestReady = Math.Min(fewestReady, live.Where(PodState.IsReady).Select(p => p.Spec.NodeName).Distinct().Count());
                mostPods = Math.Max(mostPods, live.Count);
                await Task.Delay(10);
            }
        });
        // New pods stay not ready at first: one node surges (4 pods), and the rollout waits for it.
        Volatile.Write(ref markReady, false);
        _server.Kubectl.Ok("set", "image", "ds/agent", "main=busybox:2");
        await TestApiServer.Eventually(async () => (await PodsOf("agent")).Count(p => p.Status?.Phase == "Running" && !PodState.IsReady(p)) == 1, "one new pod running, not ready");
        Assert.Equal(4, (await PodsOf("agent")).Count);
        Assert.Contains("Waiting for daemon set \"agent\" rollout to finish", _server.Kubectl.Ok("rollout", "status", "ds/agent", "--watch=false"));
        Volatile.Write(ref markReady, true);
        _server.Kubectl.Ok("rollout", "status", "ds/agent", "--timeout=20s");
        await TestApiServer.Eventually(async () => (await PodsOf("agent")) is { Count: 3 } pods && pods.All(p => p.Spec.Containers[0].Image == "busybox:2"), "the new image on every node, one pod each");
        await watching.CancelAsync();
        await watcher;
        await marking.CancelAsync();
        await marker;
        Assert.Equal(3, fewestReady);
        Assert.True(mostPods <= 4, $"{mostPods} pods at once: more than one node surged");
    }

    [Fact]
    public async Task Kubectl_set_image_rolls_one_node_at_a_time_and_rollout_status_history_and_undo_work()
    {
        foreach (var name in new[] { "n1", "n2", "n3" })
            await _nodes.AddAsync(name);
        _server.Kubectl.OkWith(DaemonSetYaml("agent"), "create", "-f", "-");
        _server.Kubectl.Ok("rollout", "status", "ds/agent", "--timeout=20s");

        // Watch (by polling) while it rolls: never fewer than 2 nodes with a ready pod (maxUnavailable 1).
        using var watching = new CancellationTokenSource();
        var fewest = 3;
        var watcher = Task.Run(async () =>
        {
            while (!watching.IsCancellationRequested)
            {
                var ready = (await PodsOf("agent")).Where(p => !PodState.IsTerminating(p) && PodState.IsReady(p)).Select(p => p.Spec.NodeName).Distinct().Count();
                fewest = Math.Min(fewest, ready);
                await Task.Delay(10);
            }
        });
        _server.Kubectl.Ok("set", "image", "ds/agent", "main=busybox:2");
        var status = _server.Kubectl.Ok("rollout", "status", "ds/agent", "--timeout=20s");
        await watching.CancelAsync();
        await watcher;
        Assert.Contains("daemon set \"agent\" successfully rolled out", status);
        Assert.True(fewest >= 2, $"at one moment only {fewest} nodes had a ready pod");
        await TestApiServer.Eventually(async () => (await PodsOf("agent")).Count == 3, "three pods");
        Assert.All(await PodsOf("agent"), p => Assert.Equal("busybox:2", p.Spec.Containers[0].Image));

        var history = _server.Kubectl.Ok("rollout", "history", "ds/agent");
        Assert.Contains("REVISION", history);
        Assert.Matches(@"(?m)^1\s", history);
        Assert.Matches(@"(?m)^2\s", history);
        Assert.Contains("busybox:2", _server.Kubectl.Ok("rollout", "history", "ds/agent", "--revision=2"));

        _server.Kubectl.Ok("rollout", "undo", "ds/agent");
        _server.Kubectl.Ok("rollout", "status", "ds/agent", "--timeout=20s");
        Assert.Equal("busybox", (await DaemonSet("agent")).Spec.Template.Spec.Containers[0].Image);
        await TestApiServer.Eventually(async () => (await PodsOf("agent")) is { Count: 3 } pods && pods.All(p => p.Spec.Containers[0].Image == "busybox"), "the old image on every node again");
        // The old template's revision was renumbered to be the newest, not copied.
        var revisions = (await Client.AppsV1.ListNamespacedControllerRevisionAsync(Ns)).Items.OrderBy(r => r.Revision).ToList();
        Assert.Equal([2L, 3L], revisions.Select(r => r.Revision));
        Assert.Contains("busybox:2", System.Text.Json.JsonSerializer.Serialize(revisions[0].Data));
    }
}
