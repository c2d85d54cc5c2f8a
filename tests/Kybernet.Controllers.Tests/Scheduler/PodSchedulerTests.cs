using k8s;
using k8s.Models;

namespace Kybernet.Controllers.Tests.Scheduler;

/// <summary>The scheduler against a real API server, nodes written as a kubelet would, and the real kubectl where users look.</summary>
public sealed class PodSchedulerTests : IAsyncLifetime
{
    private SchedulerCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await SchedulerCluster.StartAsync();

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private IKubernetes Client => _cluster.Client;

    [Fact]
    public async Task Pods_of_one_owner_spread_one_per_node_and_get_a_scheduled_event()
    {
        foreach (var name in new[] { "n1", "n2", "n3" })
            await _cluster.CreateNodeAsync(name);
        var owner = Guid.NewGuid().ToString();
        foreach (var i in new[] { 1, 2, 3 })
            await _cluster.CreatePodAsync($"web-{i}", SchedulerCluster.OwnedBy(owner));

        var nodes = new List<string>();
        foreach (var i in new[] { 1, 2, 3 })
            nodes.Add(await _cluster.WaitForNodeAsync($"web-{i}"));
        Assert.Equal(["n1", "n2", "n3"], nodes.Order());

        var pod = await _cluster.ReadPodAsync("web-1");
        Assert.Contains(pod.Status.Conditions, c => c.Type == "PodScheduled" && c.Status == "True");
        await TestApiServer.Eventually(() => Task.FromResult(_cluster.Server.Kubectl.Ok("get", "events", "--field-selector", "involvedObject.name=web-1")
            .Contains($"Successfully assigned default/web-1 to {nodes[0]}", StringComparison.Ordinal)), "the Scheduled event is written");
    }

    [Fact]
    public async Task A_node_selector_picks_the_labelled_node()
    {
        await _cluster.CreateNodeAsync("plain");
        await _cluster.CreateNodeAsync("fast", labels: new Dictionary<string, string> { ["disk"] = "ssd" });
        foreach (var i in new[] { 1, 2, 3 })
            await _cluster.CreatePodAsync($"db-{i}", p => p.Spec.NodeSelector = new Dictionary<string, string> { ["disk"] = "ssd" });
        foreach (var i in new[] { 1, 2, 3 })
            Assert.Equal("fast", await _cluster.WaitForNodeAsync($"db-{i}"));
    }

    [Theory]
    [InlineData("In", "size", "m", "medium")]
    [InlineData("NotIn", "size", "s,m", "large")]
    [InlineData("Exists", "gpu", "", "large")]
    [InlineData("DoesNotExist", "size", "", "bare")]
    [InlineData("Gt", "cores", "16", "large")]
    [InlineData("Lt", "cores", "4", "small")]
    public async Task Required_node_affinity_operators_choose_the_one_matching_node(string op, string key, string values, string expected)
    {
        await _cluster.CreateNodeAsync("small", labels: new Dictionary<string, string> { ["size"] = "s", ["cores"] = "2" });
        await _cluster.CreateNodeAsync("medium", labels: new Dictionary<string, string> { ["size"] = "m", ["cores"] = "8" });
        await _cluster.CreateNodeAsync("large", labels: new Dictionary<string, string> { ["size"] = "l", ["cores"] = "32", ["gpu"] = "yes" });
        await _cluster.CreateNodeAsync("bare");
        var requirement = new V1NodeSelectorRequirement { Key = key, OperatorProperty = op, Values = values.Length == 0 ? null : values.Split(',') };
        // "bare" has no size label: NotIn and the comparisons must not pick it (NotIn matches a missing label, so it is excluded by a second term).
        var expressions = new List<V1NodeSelectorRequirement> { requirement };
        if (op == "NotIn")
            expressions.Add(new V1NodeSelectorRequirement { Key = "size", OperatorProperty = "Exists" });
        foreach (var i in new[] { 1, 2 })
            await _cluster.CreatePodAsync($"p-{i}", p => p.Spec.Affinity = new V1Affinity
            {
                NodeAffinity = new V1NodeAffinity
                {
                    RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector { NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = expressions }] },
                },
            });
        foreach (var i in new[] { 1, 2 })
            Assert.Equal(expected, await _cluster.WaitForNodeAsync($"p-{i}"));
    }

    [Fact]
    public async Task Match_fields_on_metadata_name_pins_a_pod_to_a_node()
    {
        await _cluster.CreateNodeAsync("a");
        await _cluster.CreateNodeAsync("b");
        await _cluster.CreatePodAsync("pinned", p => p.Spec.Affinity = new V1Affinity
        {
            NodeAffinity = new V1NodeAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector
                {
                    NodeSelectorTerms = [new V1NodeSelectorTerm { MatchFields = [new V1NodeSelectorRequirement { Key = "metadata.name", OperatorProperty = "In", Values = ["b"] }] }],
                },
            },
        });
        Assert.Equal("b", await _cluster.WaitForNodeAsync("pinned"));
    }

    [Fact]
    public async Task An_untolerated_taint_keeps_pods_off_and_a_tolerated_one_does_not()
    {
        await _cluster.CreateNodeAsync("tainted", taints: [new V1Taint { Key = "dedicated", Value = "db", Effect = "NoSchedule" }]);
        await _cluster.CreateNodeAsync("open");
        foreach (var i in new[] { 1, 2, 3 })
            await _cluster.CreatePodAsync($"web-{i}");
        foreach (var i in new[] { 1, 2, 3 })
            Assert.Equal("open", await _cluster.WaitForNodeAsync($"web-{i}"));

        await _cluster.CreatePodAsync("db", p =>
        {
            p.Spec.Tolerations = [new V1Toleration { Key = "dedicated", OperatorProperty = "Equal", Value = "db", Effect = "NoSchedule" }];
            p.Spec.NodeSelector = new Dictionary<string, string> { ["kubernetes.io/hostname"] = "tainted" };
        });
        Assert.Equal("tainted", await _cluster.WaitForNodeAsync("db"));
    }

    [Fact]
    public async Task A_pod_too_big_for_every_node_stays_pending_with_upstreams_message_in_describe_and_events()
    {
        await _cluster.CreateNodeAsync("n1", cpu: "2");
        await _cluster.CreateNodeAsync("n2", cpu: "2");
        await _cluster.CreateNodeAsync("n3", cpu: "2", ready: "Unknown");
        await _cluster.CreatePodAsync("huge", SchedulerCluster.Requesting(cpu: "3"));

        const string message = "0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 2 Insufficient cpu. " +
            "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.";
        await _cluster.WaitForUnschedulableAsync("huge", message);
        var pod = await _cluster.ReadPodAsync("huge");
        Assert.Equal("Pending", pod.Status.Phase);
        Assert.Null(pod.Spec.NodeName);

        var kubectl = _cluster.Server.Kubectl;
        await TestApiServer.Eventually(() => Task.FromResult(kubectl.Ok("describe", "pod", "huge").Contains(message, StringComparison.Ordinal)), "kubectl describe shows the message");
        var describe = kubectl.Ok("describe", "pod", "huge");
        Assert.Matches(@"Warning\s+FailedScheduling\s+\S+\s+default-scheduler\s+0/3 nodes are available", describe);
        var events = kubectl.Ok("get", "events", "--field-selector", "reason=FailedScheduling");
        Assert.Contains("pod/huge", events);
        Assert.Contains(message, events);
    }

    [Fact]
    public async Task A_pod_that_fits_only_once_others_leave_says_no_victims_and_is_scheduled_when_a_pod_is_deleted()
    {
        await _cluster.CreateNodeAsync("n1", cpu: "2");
        await _cluster.CreatePodAsync("first", SchedulerCluster.Requesting(cpu: "1500m"));
        Assert.Equal("n1", await _cluster.WaitForNodeAsync("first"));
        await _cluster.CreatePodAsync("second", SchedulerCluster.Requesting(cpu: "1"));
        await _cluster.WaitForUnschedulableAsync("second",
            "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.");

        await Client.CoreV1.DeleteNamespacedPodAsync("first", "default", new V1DeleteOptions { GracePeriodSeconds = 0 });
        Assert.Equal("n1", await _cluster.WaitForNodeAsync("second"));
    }

    [Fact]
    public async Task A_pending_pod_is_scheduled_when_a_node_is_added()
    {
        await _cluster.CreatePodAsync("early");
        await _cluster.WaitForUnschedulableAsync("early", "no nodes available to schedule pods");
        await _cluster.CreateNodeAsync("late");
        Assert.Equal("late", await _cluster.WaitForNodeAsync("early"));
    }

    [Fact]
    public async Task Requests_are_summed_per_node_so_pods_fill_nodes_and_the_rest_waits()
    {
        await _cluster.CreateNodeAsync("n1", cpu: "1", memory: "1Gi");
        await _cluster.CreateNodeAsync("n2", cpu: "1", memory: "1Gi");
        foreach (var i in new[] { 1, 2, 3, 4 })
            await _cluster.CreatePodAsync($"p-{i}", SchedulerCluster.Requesting(cpu: "400m", memory: "300Mi"));
        var placed = new List<string>();
        foreach (var i in new[] { 1, 2, 3, 4 })
            placed.Add(await _cluster.WaitForNodeAsync($"p-{i}"));
        Assert.Equal(2, placed.Count(n => n == "n1"));
        Assert.Equal(2, placed.Count(n => n == "n2"));

        await _cluster.CreatePodAsync("p-5", SchedulerCluster.Requesting(memory: "500Mi"));
        await _cluster.WaitForUnschedulableAsync("p-5",
            "0/2 nodes are available: 2 Insufficient memory. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.");
    }

    [Fact]
    public async Task Host_ports_conflict_on_a_node()
    {
        await _cluster.CreateNodeAsync("n1");
        await _cluster.CreateNodeAsync("n2");
        static Action<V1Pod> Port(int port, string? hostIp = null) => p => p.Spec.Containers[0].Ports = [new V1ContainerPort { ContainerPort = 80, HostPort = port, HostIP = hostIp }];
        await _cluster.CreatePodAsync("a", Port(8080));
        await _cluster.CreatePodAsync("b", Port(8080, "10.0.0.1"));
        var first = await _cluster.WaitForNodeAsync("a");
        var second = await _cluster.WaitForNodeAsync("b");
        Assert.NotEqual(first, second);
        await _cluster.CreatePodAsync("c", Port(8080));
        await _cluster.WaitForUnschedulableAsync("c",
            "0/2 nodes are available: 2 node(s) didn't have free ports for the requested pod ports. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.");
        await _cluster.CreatePodAsync("udp", p => p.Spec.Containers[0].Ports = [new V1ContainerPort { ContainerPort = 80, HostPort = 8080, Protocol = "UDP" }]);
        await _cluster.WaitForNodeAsync("udp");
    }

    [Fact]
    public async Task Required_anti_affinity_on_hostname_puts_at_most_one_per_node()
    {
        await _cluster.CreateNodeAsync("n1");
        await _cluster.CreateNodeAsync("n2");
        foreach (var i in new[] { 1, 2, 3 })
            await _cluster.CreatePodAsync($"cache-{i}", p =>
            {
                p.Metadata.Labels = new Dictionary<string, string> { ["app"] = "cache" };
                p.Spec.Affinity = new V1Affinity
                {
                    PodAntiAffinity = new V1PodAntiAffinity
                    {
                        RequiredDuringSchedulingIgnoredDuringExecution =
                        [
                            new V1PodAffinityTerm { TopologyKey = "kubernetes.io/hostname", LabelSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "cache" } } },
                        ],
                    },
                };
            });
        var placed = new List<string?>();
        await TestApiServer.Eventually(async () =>
        {
            placed = [.. (await Client.CoreV1.ListNamespacedPodAsync("default")).Items.Select(p => p.Spec.NodeName)];
            return placed.Count(n => n is not null) == 2;
        }, "two of the three are bound");
        Assert.Equal(["n1", "n2"], placed.Where(n => n is not null).Order());
        var pending = (await Client.CoreV1.ListNamespacedPodAsync("default")).Items.Single(p => p.Spec.NodeName is null);
        await _cluster.WaitForUnschedulableAsync(pending.Name(),
            "0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.");

        // A pod without the terms but matched by theirs is kept off by the existing pods' anti-affinity.
        await _cluster.CreatePodAsync("plain", p => p.Metadata.Labels = new Dictionary<string, string> { ["app"] = "cache" });
        await _cluster.WaitForUnschedulableAsync("plain",
            "0/2 nodes are available: 2 node(s) didn't satisfy existing pods anti-affinity rules. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.");
    }

    [Fact]
    public async Task Required_pod_affinity_on_hostname_follows_the_matching_pod_even_across_namespaces()
    {
        await _cluster.CreateNodeAsync("n1");
        await _cluster.CreateNodeAsync("n2");
        await _cluster.CreateNodeAsync("n3");
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "data", Labels = new Dictionary<string, string> { ["team"] = "data" } } });
        await _cluster.CreatePodAsync("db", ns: "data");
        var dbNode = await _cluster.WaitForNodeAsync("db", "data");

        static Action<V1Pod> Near(V1LabelSelector? namespaces) => p => p.Spec.Affinity = new V1Affinity
        {
            PodAffinity = new V1PodAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution =
                [
                    new V1PodAffinityTerm
                    {
                        TopologyKey = "kubernetes.io/hostname",
                        NamespaceSelector = namespaces,
                        LabelSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "db" } },
                    },
                ],
            },
        };
        await _cluster.CreatePodAsync("api", Near(new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["team"] = "data" } }));
        Assert.Equal(dbNode, await _cluster.WaitForNodeAsync("api"));

        // Without a namespace selector the term looks only in the pod's own namespace, where no db runs.
        await _cluster.CreatePodAsync("lonely", Near(null));
        await _cluster.WaitForUnschedulableAsync("lonely",
            "0/3 nodes are available: 3 node(s) didn't match pod affinity rules. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.");
    }

    [Fact]
    public async Task A_cordoned_node_gets_no_pods_until_uncordoned()
    {
        await _cluster.CreateNodeAsync("n1");
        _cluster.Server.Kubectl.Ok("cordon", "n1");
        await _cluster.CreatePodAsync("web");
        await _cluster.WaitForUnschedulableAsync("web",
            "0/1 nodes are available: 1 node(s) were unschedulable. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.");
        _cluster.Server.Kubectl.Ok("uncordon", "n1");
        Assert.Equal("n1", await _cluster.WaitForNodeAsync("web"));
    }

    [Fact]
    public async Task Pods_of_another_scheduler_are_left_alone()
    {
        await _cluster.CreateNodeAsync("n1");
        await _cluster.CreatePodAsync("custom", p => p.Spec.SchedulerName = "my-scheduler");
        await _cluster.CreatePodAsync("ours");
        await _cluster.WaitForNodeAsync("ours");
        Assert.Null((await _cluster.ReadPodAsync("custom")).Spec.NodeName);
    }
}
