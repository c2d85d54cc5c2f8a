using k8s;
using k8s.Models;
using Kybernet.Controllers.Endpoints;

namespace Kybernet.Controllers.Tests.Endpoints;

/// <summary>The endpoints controller against a real API server, the test writing pod status as kubelets would.</summary>
public sealed class EndpointsControllerTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string> Web = new() { ["app"] = "web" };

    private TestApiServer _server = null!;
    private RunningController _controller = null!;
    private ServiceBackends _backends = null!;

    public async Task InitializeAsync()
    {
        _server = await TestApiServer.StartAsync();
        _backends = new ServiceBackends(_server.Client);
        _controller = new RunningController(_server, (informers, log) => new EndpointsController(informers, log: log));
    }

    public async Task DisposeAsync()
    {
        await _controller.DisposeAsync();
        await _server.DisposeAsync();
    }

    private IKubernetes Client => _server.Client;

    [Fact]
    public async Task A_ready_pod_appears_with_its_resolved_named_port_and_moves_to_not_ready_addresses_when_marked_not_ready()
    {
        await _backends.NodeAsync("n1");
        await _backends.ServiceAsync("web", Web, labels: new Dictionary<string, string> { ["tier"] = "front" });
        await _backends.PodAsync("web-1", "n1", Web, httpPort: 8080);
        await _backends.StatusAsync("web-1", "10.244.1.5", ready: true);

        var endpoints = await _backends.WaitForEndpointsAsync("web", e => e.Subsets?.Count == 1 && e.Subsets[0].Addresses?.Count == 1, "the ready pod is a ready address");
        var subset = endpoints.Subsets[0];
        var address = subset.Addresses[0];
        Assert.Equal("10.244.1.5", address.Ip);
        Assert.Equal("n1", address.NodeName);
        Assert.Equal(("Pod", "default", "web-1"), (address.TargetRef.Kind, address.TargetRef.NamespaceProperty, address.TargetRef.Name));
        Assert.False(string.IsNullOrEmpty(address.TargetRef.Uid));
        var port = Assert.Single(subset.Ports);
        Assert.Equal(("web", 8080, "TCP"), (port.Name, port.Port, port.Protocol));
        Assert.Null(subset.NotReadyAddresses);
        // The Service's labels, no headless label (it has a cluster IP), and when the change that caused it happened.
        Assert.Equal("front", endpoints.Metadata.Labels["tier"]);
        Assert.False(endpoints.Metadata.Labels.ContainsKey(EndpointLabels.Headless));
        Assert.True(DateTime.TryParse(endpoints.Metadata.Annotations[EndpointLabels.LastChangeTriggerTime], out _));

        // What users see (kubectl describe svc reads EndpointSlices: see their tests).
        Assert.Matches(@"web\s+10\.244\.1\.5:8080", _server.Kubectl.Ok("get", "endpoints", "web"));

        await _backends.StatusAsync("web-1", "10.244.1.5", ready: false);
        endpoints = await _backends.WaitForEndpointsAsync("web", e => e.Subsets?.Count == 1 && e.Subsets[0].Addresses is null or { Count: 0 }, "the pod leaves the ready addresses");
        Assert.Equal(["10.244.1.5"], ServiceBackends.Ips(endpoints.Subsets[0].NotReadyAddresses));
    }

    [Fact]
    public async Task Pods_whose_named_port_resolves_differently_get_subsets_of_their_own_and_pods_without_it_or_an_ip_are_left_out()
    {
        await _backends.NodeAsync("n1");
        await _backends.ServiceAsync("web", Web);
        await _backends.PodAsync("a", "n1", Web, httpPort: 8080);
        await _backends.PodAsync("b", "n1", Web, httpPort: 9090);
        await Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "no-http", Labels = Web },
            Spec = new V1PodSpec { NodeName = "n1", Containers = [new V1Container { Name = "c", Image = "busybox", Ports = [new V1ContainerPort { Name = "metrics", ContainerPort = 9100 }] }] },
        }, "default");
        await _backends.PodAsync("no-ip", "n1", Web);
        await _backends.PodAsync("other", "n1", new Dictionary<string, string> { ["app"] = "other" });
        await _backends.StatusAsync("a", "10.244.1.2", ready: true);
        await _backends.StatusAsync("b", "10.244.1.3", ready: true);
        await _backends.StatusAsync("no-http", "10.244.1.4", ready: true);
        await _backends.StatusAsync("other", "10.244.1.6", ready: true);

        var endpoints = await _backends.WaitForEndpointsAsync("web", e => e.Subsets?.Count == 2, "two subsets, one per resolved port");
        var byPort = endpoints.Subsets.ToDictionary(s => Assert.Single(s.Ports).Port, s => ServiceBackends.Ips(s.Addresses).ToList());
        Assert.Equal(["10.244.1.2"], byPort[8080]);
        Assert.Equal(["10.244.1.3"], byPort[9090]);
    }

    [Fact]
    public async Task Publish_not_ready_addresses_lists_every_pod_as_ready_and_a_headless_service_is_labelled_so()
    {
        await _backends.NodeAsync("n1");
        await _backends.ServiceAsync("db", Web, publishNotReady: true, headless: true);
        await _backends.PodAsync("db-0", "n1", Web, hostname: "db-0", subdomain: "db");
        await _backends.StatusAsync("db-0", "10.244.1.7", ready: false);

        var endpoints = await _backends.WaitForEndpointsAsync("db", e => e.Subsets?.Count == 1, "the not-ready pod is published");
        var address = Assert.Single(endpoints.Subsets[0].Addresses);
        Assert.Equal(("10.244.1.7", "db-0"), (address.Ip, address.Hostname));
        Assert.Null(endpoints.Subsets[0].NotReadyAddresses);
        Assert.Equal("", endpoints.Metadata.Labels[EndpointLabels.Headless]);
    }

    [Fact]
    public async Task A_terminating_pod_leaves_the_endpoints()
    {
        await _backends.NodeAsync("n1");
        await _backends.ServiceAsync("web", Web);
        await _backends.PodAsync("web-1", "n1", Web);
        await _backends.PodAsync("web-2", "n1", Web);
        await _backends.StatusAsync("web-1", "10.244.1.5", ready: true);
        await _backends.StatusAsync("web-2", "10.244.1.6", ready: true);
        await _backends.WaitForEndpointsAsync("web", e => e.Subsets?.Sum(s => s.Addresses?.Count ?? 0) == 2, "both pods are ready addresses");

        // Its node exists: the delete is graceful, and the pod stays, terminating, until its kubelet finishes it.
        await Client.CoreV1.DeleteNamespacedPodAsync("web-1", "default");
        Assert.NotNull((await Client.CoreV1.ReadNamespacedPodAsync("web-1", "default")).Metadata.DeletionTimestamp);
        var endpoints = await _backends.WaitForEndpointsAsync("web", e => e.Subsets?.Sum(s => s.Addresses?.Count ?? 0) == 1, "the terminating pod is gone");
        Assert.Equal(["10.244.1.6"], ServiceBackends.Ips(endpoints.Subsets[0].Addresses));
        Assert.Null(endpoints.Subsets[0].NotReadyAddresses);
    }

    [Fact]
    public async Task A_service_without_selector_is_left_alone_and_the_endpoints_of_a_deleted_service_go()
    {
        await _backends.NodeAsync("n1");
        await _backends.ServiceAsync("external", selector: null);
        var mine = await Client.CoreV1.CreateNamespacedEndpointsAsync(new V1Endpoints
        {
            Metadata = new V1ObjectMeta { Name = "external" },
            Subsets = [new V1EndpointSubset { Addresses = [new V1EndpointAddress { Ip = "192.0.2.10" }], Ports = [new Corev1EndpointPort { Name = "web", Port = 443 }] }],
        }, "default");
        var builtIn = await _backends.EndpointsAsync("kubernetes");

        // A Service with a selector, synced after the other: by then the controller has seen both.
        await _backends.ServiceAsync("web", Web);
        await _backends.PodAsync("web-1", "n1", Web);
        await _backends.StatusAsync("web-1", "10.244.1.5", ready: true);
        await _backends.WaitForEndpointsAsync("web", e => e.Subsets?.Count == 1, "the selected pod is listed");
        Assert.Equal(mine.ResourceVersion(), (await _backends.EndpointsAsync("external"))!.ResourceVersion());
        Assert.Equal(builtIn!.ResourceVersion(), (await _backends.EndpointsAsync("kubernetes"))!.ResourceVersion());

        await Client.CoreV1.DeleteNamespacedServiceAsync("web", "default");
        await TestApiServer.Eventually(async () => await _backends.EndpointsAsync("web") is null, "the Endpoints of the deleted Service are deleted");
        // Logged once the delete has returned, which the test may see first.
        await TestApiServer.Eventually(() => Task.FromResult(_controller.Log.Contains("service default/web is gone: deleted its Endpoints")), "the delete is logged");
    }

    [Fact]
    public async Task Deleted_endpoints_are_made_again_and_leftovers_of_services_deleted_while_it_was_down_are_removed()
    {
        await _backends.ServiceAsync("web", Web);
        await _backends.WaitForEndpointsAsync("web", e => e.Subsets is null or { Count: 0 }, "a Service with no pods has empty Endpoints");
        await Client.CoreV1.DeleteNamespacedEndpointsAsync("web", "default");
        await _backends.WaitForEndpointsAsync("web", _ => true, "they are made again");

        await _controller.DisposeAsync();
        await Client.CoreV1.CreateNamespacedEndpointsAsync(new V1Endpoints { Metadata = new V1ObjectMeta { Name = "orphan" } }, "default");
        _controller = new RunningController(_server, (informers, log) => new EndpointsController(informers, log: log));
        await TestApiServer.Eventually(async () => await _backends.EndpointsAsync("orphan") is null, "Endpoints without a Service are removed at start");
        Assert.NotNull(await _backends.EndpointsAsync("kubernetes"));
    }

    [Fact]
    public async Task Nothing_is_written_when_nothing_an_endpoint_says_changed()
    {
        await _backends.NodeAsync("n1");
        await _backends.ServiceAsync("web", Web);
        await _backends.PodAsync("web-1", "n1", Web);
        await _backends.StatusAsync("web-1", "10.244.1.5", ready: true);
        var before = await _backends.WaitForEndpointsAsync("web", e => e.Subsets?.Count == 1, "the pod is listed");

        // A label the selector does not look at, and a status write that keeps the pod as it was.
        var pod = await Client.CoreV1.ReadNamespacedPodAsync("web-1", "default");
        pod.Metadata.Labels["version"] = "2";
        await Client.CoreV1.ReplaceNamespacedPodAsync(pod, "web-1", "default");
        pod = await Client.CoreV1.ReadNamespacedPodAsync("web-1", "default");
        pod.Status.ContainerStatuses = [new V1ContainerStatus { Name = "web", Image = "busybox", ImageID = "", Ready = true, RestartCount = 1 }];
        await Client.CoreV1.ReplaceNamespacedPodStatusAsync(pod, "web-1", "default");
        // Then a change the controller must act on, after which it has seen the others too.
        await _backends.ServiceAsync("flush", Web);
        await _backends.WaitForEndpointsAsync("flush", e => e.Subsets?.Count == 1, "a later Service is synced");
        Assert.Equal(before.ResourceVersion(), (await _backends.EndpointsAsync("web"))!.ResourceVersion());
    }

    [Fact]
    public async Task Endpoints_over_capacity_are_truncated_and_annotated_until_they_fit_again()
    {
        await _controller.DisposeAsync();
        _controller = new RunningController(_server, (informers, log) => new EndpointsController(informers, new EndpointsOptions { MaxAddresses = 2 }, log));
        await _backends.NodeAsync("n1");
        await _backends.ServiceAsync("web", Web);
        foreach (var i in new[] { 1, 2, 3 })
        {
            await _backends.PodAsync($"web-{i}", "n1", Web);
            await _backends.StatusAsync($"web-{i}", $"10.244.1.{i}", ready: true);
        }
        var endpoints = await _backends.WaitForEndpointsAsync("web", e => e.Metadata.Annotations?.ContainsKey(EndpointLabels.OverCapacity) == true, "truncated");
        Assert.Equal("truncated", endpoints.Metadata.Annotations[EndpointLabels.OverCapacity]);
        Assert.Equal(2, endpoints.Subsets.Sum(s => s.Addresses.Count));

        await Client.CoreV1.DeleteNamespacedPodAsync("web-3", "default");
        endpoints = await _backends.WaitForEndpointsAsync("web", e => e.Metadata.Annotations?.ContainsKey(EndpointLabels.OverCapacity) != true, "no longer truncated");
        Assert.Equal(["10.244.1.1", "10.244.1.2"], ServiceBackends.Ips(endpoints.Subsets[0].Addresses));
    }
}
