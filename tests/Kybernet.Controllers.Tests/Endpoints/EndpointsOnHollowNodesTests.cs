using k8s;
using k8s.Models;
using Kybernet.Controllers.Endpoints;
using Kybernet.Controllers.EndpointSlices;

namespace Kybernet.Controllers.Tests.Endpoints;

/// <summary>
/// Both endpoint controllers on three hollow nodes, driven with the real kubectl: pods made by `kubectl run`, bound to
/// nodes (the scheduler's part, done here by hand), run by the hollow kubelet, exposed by `kubectl expose`, made Ready
/// and not ready by the test.
/// </summary>
public sealed class EndpointsOnHollowNodesTests : IAsyncLifetime
{
    private TestApiServer _server = null!;
    private HollowNodes _nodes = null!;
    private RunningController _endpoints = null!;
    private RunningController _slices = null!;
    private ServiceBackends _backends = null!;

    public async Task InitializeAsync()
    {
        _server = await TestApiServer.StartAsync();
        _nodes = await HollowNodes.StartAsync(_server, 3);
        _backends = new ServiceBackends(_server.Client);
        _endpoints = new RunningController(_server, (informers, log) => new EndpointsController(informers, log: log));
        _slices = new RunningController(_server, (informers, log) => new EndpointSliceController(informers, log: log));
    }

    public async Task DisposeAsync()
    {
        await _slices.DisposeAsync();
        await _endpoints.DisposeAsync();
        await _nodes.DisposeAsync();
        await _server.DisposeAsync();
    }

    private IKubernetes Client => _server.Client;

    private static IEnumerable<V1Endpoint> AllEndpoints(IEnumerable<V1EndpointSlice> slices) => slices.SelectMany(s => s.Endpoints ?? []);

    private async Task<string> RunAsync(string name, string node)
    {
        _server.Kubectl.Ok("run", name, "--image=busybox", "--labels=app=web", "--port=8080");
        await Client.CoreV1.CreateNamespacedPodBindingAsync(new V1Binding
        {
            Metadata = new V1ObjectMeta { Name = name },
            Target = new V1ObjectReference { Kind = "Node", Name = node },
        }, name, "default");
        string? ip = null;
        await TestApiServer.Eventually(async () => (ip = (await Client.CoreV1.ReadNamespacedPodAsync(name, "default")).Status?.PodIP) is not null, $"the hollow kubelet runs {name}");
        return ip!;
    }

    [Fact]
    public async Task Pods_marked_ready_fill_the_endpoints_and_slice_of_an_exposed_pod_and_leave_them_when_not_ready_or_deleted()
    {
        var ip0 = await RunAsync("web-0", "hollow-0");
        var ip1 = await RunAsync("web-1", "hollow-1");
        _server.Kubectl.Ok("expose", "pod", "web-0", "--name=web", "--port=80", "--target-port=8080", "--selector=app=web");

        // Running but not ready: listed as not ready.
        var endpoints = await _backends.WaitForEndpointsAsync("web", e => e.Subsets?.Sum(s => s.NotReadyAddresses?.Count ?? 0) == 2, "two not-ready addresses");
        Assert.Equal(0, endpoints.Subsets.Sum(s => s.Addresses?.Count ?? 0));

        await _nodes.MarkReadyAsync("default", "web-0");
        await _nodes.MarkReadyAsync("default", "web-1");
        endpoints = await _backends.WaitForEndpointsAsync("web", e => e.Subsets?.Sum(s => s.Addresses?.Count ?? 0) == 2, "both ready");
        Assert.Equal(new[] { ip0, ip1 }.Order(StringComparer.Ordinal), ServiceBackends.Ips(endpoints.Subsets[0].Addresses));
        Assert.Equal(["hollow-0", "hollow-1"], endpoints.Subsets[0].Addresses.Select(a => a.NodeName).Order(StringComparer.Ordinal));
        var slices = await _backends.WaitForSlicesAsync("web", s => AllEndpoints(s).Count(e => e.Conditions.Ready == true) == 2, "both ready in the slice");
        Assert.Equal(8080, Assert.Single(Assert.Single(slices).Ports).Port);

        var table = _server.Kubectl.Ok("get", "endpoints", "web");
        Assert.Contains($"{ip0}:8080", table);
        Assert.Contains($"{ip1}:8080", table);
        Assert.Contains($"{ip0}", _server.Kubectl.Ok("get", "endpointslices", "-l", "kubernetes.io/service-name=web"));
        Assert.Matches(@"Endpoints:\s+\S*10\.200\.", _server.Kubectl.Ok("describe", "svc", "web"));

        await _nodes.MarkReadyAsync("default", "web-1", ready: false);
        endpoints = await _backends.WaitForEndpointsAsync("web", e => e.Subsets?.Sum(s => s.Addresses?.Count ?? 0) == 1, "web-1 leaves the ready addresses");
        Assert.Equal([ip1], ServiceBackends.Ips(endpoints.Subsets.SelectMany(s => s.NotReadyAddresses ?? [])));
        await _backends.WaitForSlicesAsync("web", s => AllEndpoints(s).Single(e => e.TargetRef.Name == "web-1").Conditions.Ready == false, "web-1 is not ready in the slice");

        // Deleted: terminating for a moment, then gone when its kubelet finishes.
        _server.Kubectl.Ok("delete", "pod", "web-0", "--wait=false");
        await _backends.WaitForEndpointsAsync("web", e => e.Subsets?.Sum(s => s.Addresses?.Count ?? 0) == 0, "web-0 leaves the Endpoints");
        await _backends.WaitForSlicesAsync("web", s => AllEndpoints(s).All(e => e.TargetRef.Name != "web-0"), "web-0 leaves the slice");
        Assert.DoesNotContain("retrying", _endpoints.Log);
        Assert.DoesNotContain("retrying", _slices.Log);
        Assert.Empty(_nodes.Failures);
    }
}
