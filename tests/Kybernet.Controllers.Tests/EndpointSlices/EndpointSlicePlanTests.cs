using k8s.Models;
using Kybernet.Controllers.EndpointSlices;

namespace Kybernet.Controllers.Tests.EndpointSlices;

/// <summary>The pure part of the EndpointSlice controller: which slices to create, update and delete.</summary>
public sealed class EndpointSlicePlanTests
{
    private static readonly V1Node Node = new() { Metadata = new V1ObjectMeta { Name = "n1" } };

    private static V1Service Service(string uid = "svc") => new()
    {
        Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "default", Uid = uid },
        Spec = new V1ServiceSpec
        {
            ClusterIP = "10.96.0.20",
            IpFamilies = ["IPv4"],
            Selector = new Dictionary<string, string> { ["app"] = "web" },
            Ports = [new V1ServicePort { Name = "web", Port = 80, TargetPort = "http", Protocol = "TCP" }],
        },
    };

    private static V1Pod Pod(int i, bool ready = true, int port = 8080) => new()
    {
        Metadata = new V1ObjectMeta { Name = $"p{i:D3}", NamespaceProperty = "default", Uid = $"uid-{i}", Labels = new Dictionary<string, string> { ["app"] = "web" } },
        Spec = new V1PodSpec { NodeName = "n1", Containers = [new V1Container { Name = "c", Ports = [new V1ContainerPort { Name = "http", ContainerPort = port, Protocol = "TCP" }] }] },
        Status = new V1PodStatus { Phase = "Running", PodIP = $"10.244.{i / 250}.{i % 250 + 1}", Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False" }] },
    };

    private static EndpointSlicePlan Plan(V1Service service, IEnumerable<V1Pod> pods, IReadOnlyList<V1EndpointSlice> existing, int max = 100) =>
        EndpointSlicePlan.For(service, pods, existing, name => name == "n1" ? Node : null, max);

    /// <summary>The slices as the server would store them: the plan's creates, named.</summary>
    private static List<V1EndpointSlice> Stored(EndpointSlicePlan plan)
    {
        var n = 0;
        foreach (var slice in plan.Create)
        {
            slice.Metadata.Name = $"web-{n++}";
            slice.Metadata.GenerateName = null;
        }
        return [.. plan.Create];
    }

    [Fact]
    public void Pods_fill_slices_of_at_most_the_maximum_and_a_change_rewrites_only_the_slice_holding_it()
    {
        var service = Service();
        var pods = Enumerable.Range(0, 250).Select(i => Pod(i)).ToList();
        var first = Plan(service, pods, []);
        Assert.Equal([100, 100, 50], first.Create.Select(s => s.Endpoints.Count));
        var stored = Stored(first);

        pods[7] = Pod(7, ready: false);
        var second = Plan(service, pods, stored);
        var update = Assert.Single(second.Update);
        Assert.Empty(second.Create);
        Assert.Empty(second.Delete);
        Assert.Contains(update.Endpoints, e => e.TargetRef.Name == "p007" && e.Conditions.Ready == false);
        Assert.True(Plan(service, pods.Take(7).Concat([Pod(7, ready: false)]).Concat(pods.Skip(8)), [.. stored.Where(s => s.Name() != update.Name()), update]).IsEmpty);
    }

    [Fact]
    public void New_endpoints_join_a_slice_being_written_anyway_before_any_new_slice()
    {
        var service = Service();
        var pods = Enumerable.Range(0, 150).Select(i => Pod(i)).ToList();
        var stored = Stored(Plan(service, pods, []));
        // One pod goes from the half-full slice, two come: they go there, no third slice.
        pods.RemoveAt(149);
        pods.Add(Pod(200));
        pods.Add(Pod(201));
        var plan = Plan(service, pods, stored);
        Assert.Empty(plan.Create);
        var update = Assert.Single(plan.Update);
        Assert.Equal(51, update.Endpoints.Count);
    }

    [Fact]
    public void Slices_of_another_owner_or_port_set_go_and_a_slice_that_would_go_is_reused_for_one_to_make()
    {
        var service = Service();
        var stored = Stored(Plan(service, [Pod(1)], []));
        // The pod now serves on another port: its old slice (port 8080) is no longer wanted; reused for port 9090.
        var plan = Plan(service, [Pod(1, port: 9090)], stored);
        Assert.Empty(plan.Create);
        Assert.Empty(plan.Delete);
        var reused = Assert.Single(plan.Update);
        Assert.Equal("web-0", reused.Name());
        Assert.Equal(9090, Assert.Single(reused.Ports).Port);

        // A slice left by an earlier Service of the same name (another uid) is deleted, never reused.
        var newer = Service(uid: "svc-2");
        plan = Plan(newer, [Pod(1)], stored);
        Assert.Equal("web-0", Assert.Single(plan.Delete).Name());
        Assert.Equal("svc-2", Assert.Single(Assert.Single(plan.Create).Metadata.OwnerReferences).Uid);
    }

    [Fact]
    public void A_service_without_endpoints_keeps_one_placeholder_and_pods_on_unknown_nodes_are_left_out()
    {
        var service = Service();
        var pod = Pod(1);
        pod.Spec.NodeName = "gone";
        var plan = Plan(service, [pod], []);
        Assert.Equal(["p001"], plan.MissingNode);
        var placeholder = Assert.Single(plan.Create);
        Assert.Empty(placeholder.Endpoints);
        Assert.Empty(placeholder.Ports);
        Assert.True(Plan(service, [pod], Stored(plan)).IsEmpty);
    }

    [Fact]
    public void A_dual_stack_service_gets_slices_per_address_type_and_a_family_it_drops_loses_its_slices()
    {
        var service = Service();
        service.Spec.IpFamilies = ["IPv4", "IPv6"];
        var pod = Pod(1);
        pod.Status.PodIPs = [new V1PodIP { Ip = "10.244.0.2" }, new V1PodIP { Ip = "fd00:10:244::2" }];
        var plan = Plan(service, [pod], []);
        Assert.Equal(["IPv4", "IPv6"], plan.Create.Select(s => s.AddressType).Order());
        Assert.Equal(["fd00:10:244::2"], plan.Create.Single(s => s.AddressType == "IPv6").Endpoints.Single().Addresses);
        var stored = Stored(plan);

        service.Spec.IpFamilies = ["IPv4"];
        plan = Plan(service, [pod], stored);
        Assert.Equal("IPv6", Assert.Single(plan.Delete).AddressType);
        Assert.Empty(plan.Create);
        Assert.Empty(plan.Update);
    }
}
