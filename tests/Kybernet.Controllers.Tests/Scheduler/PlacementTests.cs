using k8s.Models;
using Kybernet.Controllers.Scheduler;

namespace Kybernet.Controllers.Tests.Scheduler;

/// <summary>Decisions and messages without a server: nodes and pods built in memory.</summary>
public sealed class PlacementTests
{
    private readonly SchedulerCache _cache = new();
    private readonly Placement _placement = new(_ => null);

    private void Node(string name, string cpu = "4", string pods = "110", string ready = "True", IList<V1Taint>? taints = null)
    {
        var resources = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpu), ["memory"] = new("8Gi"), ["pods"] = new(pods) };
        _cache.SetNode(new V1Node
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["kubernetes.io/hostname"] = name } },
            Spec = new V1NodeSpec { Taints = taints },
            Status = new V1NodeStatus { Allocatable = resources, Conditions = [new V1NodeCondition { Type = "Ready", Status = ready }] },
        });
    }

    private static V1Pod Pod(string name, string? cpu = null, int priority = 0, string? node = null, string? preemptionPolicy = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Uid = name },
        Spec = new V1PodSpec
        {
            NodeName = node,
            Priority = priority,
            PreemptionPolicy = preemptionPolicy,
            Containers = [new V1Container { Name = "c", Resources = cpu is null ? null : new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpu) } } }],
        },
    };

    private PlacementResult Decide(V1Pod pod) => _cache.Locked(view => _placement.Decide(new PodInfo(pod), view));

    [Fact]
    public void Reasons_are_counted_and_sorted_as_strings_so_ten_comes_before_two()
    {
        for (int i = 0; i < 10; i++)
            Node($"small-{i}", cpu: "1");
        Node("gone-1", ready: "Unknown");
        Node("gone-2", ready: "False");
        var result = Decide(Pod("big", cpu: "2"));
        Assert.Null(result.Node);
        Assert.Equal("0/12 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, " +
            "1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 10 Insufficient cpu. " +
            "preemption: 0/12 nodes are available: 12 Preemption is not helpful for scheduling.", result.Failure);
    }

    [Fact]
    public void A_pod_that_never_preempts_says_so()
    {
        Node("n1", cpu: "1");
        Assert.Equal("0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.",
            Decide(Pod("p", cpu: "2", preemptionPolicy: "Never")).Failure);
    }

    [Fact]
    public void With_lower_priority_pods_on_a_node_the_preemption_part_repeats_its_reasons()
    {
        Node("n1", cpu: "2", pods: "1");
        _cache.AddOrUpdateBoundPod(Pod("low", cpu: "1", node: "n1"));
        Assert.Equal("0/1 nodes are available: 1 Too many pods. preemption: 0/1 nodes are available: 1 Too many pods.",
            Decide(Pod("high", cpu: "1", priority: 100)).Failure);
    }

    [Fact]
    public void An_assumed_pod_takes_its_resources_at_once_and_a_forgotten_one_gives_them_back()
    {
        Node("n1", cpu: "1");
        var first = new PodInfo(Pod("first", cpu: "600m"));
        Assert.Equal("n1", _cache.Locked(view =>
        {
            var decision = _placement.Decide(first, view);
            view.Assume(first, decision.Node!);
            return decision.Node;
        }));
        Assert.Null(Decide(Pod("second", cpu: "600m")).Node);
        _cache.Forget(first.Key);
        Assert.Equal("n1", Decide(Pod("second", cpu: "600m")).Node);
    }

    [Fact]
    public void A_finished_or_deleted_bound_pod_frees_its_node()
    {
        Node("n1", pods: "1");
        _cache.AddOrUpdateBoundPod(Pod("old", node: "n1"));
        Assert.Null(Decide(Pod("new")).Node);
        _cache.RemovePod("default/old");
        Assert.Equal("n1", Decide(Pod("new")).Node);
    }

    [Fact]
    public void Requests_sum_containers_and_sidecars_or_take_the_largest_init_step_plus_overhead()
    {
        static V1Container C(string cpu, string? restart = null) => new() { Name = cpu, RestartPolicy = restart, Resources = new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpu) } } };
        var spec = new V1PodSpec
        {
            Containers = [C("1"), C("500m")],
            InitContainers = [C("200m", "Always"), C("3"), C("300m", "Always")],
            Overhead = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("10m") },
        };
        // running: 1 + 0.5 + sidecars 0.2 + 0.3 = 2; the init step "3" runs beside the first sidecar: 3.2; plus overhead
        Assert.Equal(3210, PodRequests.Of(spec).MilliCpu);
        // for scoring, each of the four running containers without a memory request counts 200Mi
        Assert.Equal(PodRequests.DefaultMemory * 4, PodRequests.NonZero(spec).Memory);
    }

    [Fact]
    public void Least_allocated_prefers_the_emptier_node()
    {
        Node("busy");
        Node("idle");
        _cache.AddOrUpdateBoundPod(Pod("load", cpu: "3", node: "busy"));
        Assert.Equal("idle", Decide(Pod("p", cpu: "100m")).Node);
    }
}
