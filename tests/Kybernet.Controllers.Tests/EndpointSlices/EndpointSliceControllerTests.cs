using k8s;
using k8s.Models;
using Kybernet.Controllers.Endpoints;
using Kybernet.Controllers.EndpointSlices;
using Kybernet.Controllers.Tests.Endpoints;

namespace Kybernet.Controllers.Tests.EndpointSlices;

/// <summary>The EndpointSlice controller against a real API server, the test writing pod status as kubelets would.</summary>
public sealed class EndpointSliceControllerTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string> Web = new() { ["app"] = "web" };

    private TestApiServer _server = null!;
    private RunningController _controller = null!;
    private ServiceBackends _backends = null!;

    public async Task InitializeAsync()
    {
        _server = await TestApiServer.StartAsync();
        _backends = new ServiceBackends(_server.Client);
        _controller = new RunningController(_server, (informers, log) => new EndpointSliceController(informers, log: log));
    }

    public async Task DisposeAsync()
    {
        await _controller.DisposeAsync();
        await _server.DisposeAsync();
    }

    private IKubernetes Client => _server.Client;

    private static IEnumerable<V1Endpoint> AllEndpoints(IEnumerable<V1EndpointSlice> slices) => slices.SelectMany(s => s.Endpoints ?? []);

    [Fact]
    public async Task A_ready_pod_appears_with_its_ip_resolved_port_node_and_zone_and_turns_not_ready_when_marked_so()
    {
        await _backends.NodeAsync("n1", zone: "zone-a");
        var service = await _backends.ServiceAsync("web", Web, labels: new Dictionary<string, string> { ["tier"] = "front" });
        await _backends.PodAsync("web-1", "n1", Web, httpPort: 8080);
        await _backends.StatusAsync("web-1", "10.244.1.5", ready: true);

        var slices = await _backends.WaitForSlicesAsync("web", s => AllEndpoints(s).Any(e => e.Conditions.Ready == true), "the ready pod is a ready endpoint");
        var slice = Assert.Single(slices);
        Assert.Equal("IPv4", slice.AddressType);
        Assert.StartsWith("web-", slice.Name());
        Assert.Equal("web", slice.Metadata.Labels[EndpointLabels.ServiceName]);
        Assert.Equal("endpointslice-controller.k8s.io", slice.Metadata.Labels[EndpointLabels.ManagedBy]);
        Assert.Equal("front", slice.Metadata.Labels["tier"]);
        var owner = Assert.Single(slice.Metadata.OwnerReferences);
        Assert.Equal(("Service", "web", service.Uid(), true), (owner.Kind, owner.Name, owner.Uid, owner.Controller));
        Assert.True(DateTime.TryParse(slice.Metadata.Annotations[EndpointLabels.LastChangeTriggerTime], out _));
        var port = Assert.Single(slice.Ports);
        Assert.Equal(("web", 8080, "TCP"), (port.Name, port.Port, port.Protocol));
        var endpoint = Assert.Single(slice.Endpoints);
        Assert.Equal(["10.244.1.5"], endpoint.Addresses);
        Assert.Equal((true, true, false), (endpoint.Conditions.Ready, endpoint.Conditions.Serving, endpoint.Conditions.Terminating));
        Assert.Equal(("n1", "zone-a"), (endpoint.NodeName, endpoint.Zone));
        Assert.Equal(("Pod", "default", "web-1"), (endpoint.TargetRef.Kind, endpoint.TargetRef.NamespaceProperty, endpoint.TargetRef.Name));

        // What users see: kubectl's slice table and the Service's description (which reads the slices).
        Assert.Matches(@"web-\S+\s+IPv4\s+8080\s+10\.244\.1\.5", _server.Kubectl.Ok("get", "endpointslices", "-l", "kubernetes.io/service-name=web"));
        Assert.Matches(@"Endpoints:\s+10\.244\.1\.5:8080", _server.Kubectl.Ok("describe", "svc", "web"));

        await _backends.StatusAsync("web-1", "10.244.1.5", ready: false);
        slices = await _backends.WaitForSlicesAsync("web", s => AllEndpoints(s).Any(e => e.Conditions.Ready == false), "the pod is no longer ready");
        endpoint = Assert.Single(AllEndpoints(slices));
        Assert.Equal((false, false, false), (endpoint.Conditions.Ready, endpoint.Conditions.Serving, endpoint.Conditions.Terminating));
        Assert.Equal(slice.Name(), Assert.Single(slices).Name()); // updated in place
    }

    [Fact]
    public async Task A_terminating_pod_stays_with_terminating_true_and_serving_as_ready_as_it_is()
    {
        await _backends.NodeAsync("n1");
        await _backends.ServiceAsync("web", Web);
        await _backends.PodAsync("web-1", "n1", Web);
        await _backends.StatusAsync("web-1", "10.244.1.5", ready: true);
        await _backends.WaitForSlicesAsync("web", s => AllEndpoints(s).Any(e => e.Conditions.Ready == true), "the pod is ready");

        // Its node exists: the delete is graceful, and the pod stays, terminating, until its kubelet finishes it.
        await Client.CoreV1.DeleteNamespacedPodAsync("web-1", "default");
        var slices = await _backends.WaitForSlicesAsync("web", s => AllEndpoints(s).Any(e => e.Conditions.Terminating == true), "the pod is terminating");
        var endpoint = Assert.Single(AllEndpoints(slices));
        Assert.Equal((false, true, true), (endpoint.Conditions.Ready, endpoint.Conditions.Serving, endpoint.Conditions.Terminating));
    }

    [Fact]
    public async Task Publish_not_ready_addresses_makes_every_pod_ready_and_a_named_port_resolving_differently_splits_the_slices()
    {
        await _backends.NodeAsync("n1");
        await _backends.ServiceAsync("db", Web, publishNotReady: true, headless: true);
        await _backends.PodAsync("db-0", "n1", Web, httpPort: 5432, hostname: "db-0", subdomain: "db");
        await _backends.PodAsync("db-1", "n1", Web, httpPort: 5433);
        await _backends.StatusAsync("db-0", "10.244.1.7", ready: false);
        await _backends.StatusAsync("db-1", "10.244.1.8", ready: false);

        var slices = await _backends.WaitForSlicesAsync("db", s => AllEndpoints(s).Count() == 2, "both pods are published");
        Assert.Equal(2, slices.Count);
        Assert.All(AllEndpoints(slices), e => Assert.True(e.Conditions.Ready));
        Assert.All(slices, s => Assert.Equal("", s.Metadata.Labels[EndpointLabels.Headless]));
        var byPort = slices.ToDictionary(s => Assert.Single(s.Ports).Port!.Value, s => Assert.Single(s.Endpoints));
        Assert.Equal(("10.244.1.7", "db-0"), (byPort[5432].Addresses[0], byPort[5432].Hostname));
        Assert.Equal("10.244.1.8", byPort[5433].Addresses[0]);
    }

    [Fact]
    public async Task Two_hundred_fifty_pods_fill_three_slices_of_at_most_a_hundred()
    {
        await _backends.NodeAsync("n1");
        await _backends.ServiceAsync("web", Web);
        for (int i = 0; i < 250; i += 25)
        {
            await Task.WhenAll(Enumerable.Range(i, 25).Select(async n =>
            {
                await _backends.PodAsync($"web-{n}", "n1", Web);
                await _backends.StatusAsync($"web-{n}", $"10.244.{n / 200}.{n % 200 + 2}", ready: true);
            }));
        }
        var slices = await _backends.WaitForSlicesAsync("web", s => AllEndpoints(s).Count(e => e.Conditions.Ready == true) == 250, "every pod is a ready endpoint");
        Assert.Equal(3, slices.Count);
        Assert.All(slices, s => Assert.InRange(s.Endpoints.Count, 1, 100));
        Assert.Equal(250, AllEndpoints(slices).Select(e => e.Addresses[0]).Distinct().Count());
        Assert.DoesNotContain("retrying", _controller.Log); // no sync failed on the way (a lagging view waits, never duplicates)
    }

    [Fact]
    public async Task A_service_without_selector_is_left_alone_and_one_without_pods_has_an_empty_placeholder()
    {
        await _backends.ServiceAsync("external", selector: null);
        await Client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(new V1EndpointSlice
        {
            Metadata = new V1ObjectMeta { Name = "external-1", Labels = new Dictionary<string, string> { [EndpointLabels.ServiceName] = "external" } },
            AddressType = "IPv4",
            Endpoints = [new V1Endpoint { Addresses = ["192.0.2.10"] }],
        }, "default");
        var builtIn = Assert.Single(await _backends.SlicesAsync("kubernetes"));

        await _backends.ServiceAsync("empty", Web);
        var placeholder = Assert.Single(await _backends.WaitForSlicesAsync("empty", s => s.Count == 1, "a placeholder slice"));
        Assert.Empty(placeholder.Endpoints ?? []);
        Assert.Empty(placeholder.Ports ?? []);

        var external = Assert.Single(await _backends.SlicesAsync("external"));
        Assert.Equal("external-1", external.Name());
        Assert.Equal(builtIn.ResourceVersion(), Assert.Single(await _backends.SlicesAsync("kubernetes")).ResourceVersion());
    }

    [Fact]
    public async Task A_slice_changed_or_deleted_by_someone_else_is_put_right()
    {
        await _backends.NodeAsync("n1");
        await _backends.ServiceAsync("web", Web);
        await _backends.PodAsync("web-1", "n1", Web);
        await _backends.StatusAsync("web-1", "10.244.1.5", ready: true);
        var slice = Assert.Single(await _backends.WaitForSlicesAsync("web", s => AllEndpoints(s).Any(), "the pod is listed"));

        slice.Endpoints.Clear();
        await Client.DiscoveryV1.ReplaceNamespacedEndpointSliceAsync(slice, slice.Name(), "default");
        await _backends.WaitForSlicesAsync("web", s => s.Count == 1 && AllEndpoints(s).Count() == 1, "the endpoint is put back");

        await Client.DiscoveryV1.DeleteNamespacedEndpointSliceAsync(slice.Name(), "default");
        var again = await _backends.WaitForSlicesAsync("web", s => s.Count == 1 && AllEndpoints(s).Count() == 1, "a slice is made again");
        Assert.NotEqual(slice.Uid(), again[0].Uid());
    }

    [Fact]
    public async Task A_pod_on_an_unknown_node_joins_when_the_node_appears_and_follows_its_zone()
    {
        await _backends.ServiceAsync("web", Web);
        await _backends.PodAsync("web-1", "late", Web);
        await _backends.StatusAsync("web-1", "10.244.1.5", ready: true);
        await _backends.WaitForSlicesAsync("web", s => s.Count == 1 && !AllEndpoints(s).Any(), "left out while its node is unknown");
        await TestApiServer.Eventually(() => Task.FromResult(_controller.Log.Contains("pods web-1 left out of its EndpointSlices: their node is unknown")), "the reason is logged");

        await _backends.NodeAsync("late", zone: "zone-a");
        await _backends.WaitForSlicesAsync("web", s => AllEndpoints(s).Any(e => e.Zone == "zone-a"), "it joins once the node exists");
        var node = await Client.CoreV1.ReadNodeAsync("late");
        node.Metadata.Labels["topology.kubernetes.io/zone"] = "zone-b";
        await Client.CoreV1.ReplaceNodeAsync(node, "late");
        await _backends.WaitForSlicesAsync("web", s => AllEndpoints(s).Any(e => e.Zone == "zone-b"), "its zone follows the node's");
    }
}
