using k8s;
using k8s.Models;

namespace Kybernet.Controllers.Tests.Endpoints;

/// <summary>
/// What the endpoint tests build on: Nodes, pods bound to them whose status the test writes as a kubelet would
/// (pods/status: phase, podIP, the Ready condition), and Services over them.
/// </summary>
internal sealed class ServiceBackends(IKubernetes client, string ns = "default")
{
    public string Namespace => ns;

    public Task<V1Node> NodeAsync(string name, string? zone = null) =>
        client.CoreV1.CreateNodeAsync(new V1Node
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = zone is null ? null : new Dictionary<string, string> { ["topology.kubernetes.io/zone"] = zone } },
        });

    /// <summary>A pod bound to <paramref name="node"/> whose one container serves "http" (TCP) on <paramref name="httpPort"/>.</summary>
    public Task<V1Pod> PodAsync(string name, string node, IDictionary<string, string> labels, int httpPort = 8080, string? hostname = null, string? subdomain = null) =>
        client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = labels },
            Spec = new V1PodSpec
            {
                NodeName = node,
                Hostname = hostname,
                Subdomain = subdomain,
                Containers = [new V1Container { Name = "web", Image = "busybox", Ports = [new V1ContainerPort { Name = "http", ContainerPort = httpPort }] }],
            },
        }, ns);

    /// <summary>Writes the pod's status as its kubelet would: Running with <paramref name="ip"/>, Ready or not (the transition now).</summary>
    public async Task<V1Pod> StatusAsync(string name, string ip, bool ready)
    {
        var pod = await client.CoreV1.ReadNamespacedPodAsync(name, ns);
        pod.Status ??= new V1PodStatus();
        pod.Status.Phase = "Running";
        pod.Status.PodIP = ip;
        pod.Status.PodIPs = [new V1PodIP { Ip = ip }];
        pod.Status.Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False", LastTransitionTime = DateTime.UtcNow }];
        return await client.CoreV1.ReplaceNamespacedPodStatusAsync(pod, name, ns);
    }

    /// <summary>A Service selecting <paramref name="selector"/> (none: null), port 80 named "web" to the pods' "http" port.</summary>
    public Task<V1Service> ServiceAsync(string name, IDictionary<string, string>? selector, bool publishNotReady = false, bool headless = false,
        IDictionary<string, string>? labels = null, IList<V1ServicePort>? ports = null) =>
        client.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = labels },
            Spec = new V1ServiceSpec
            {
                Selector = selector,
                PublishNotReadyAddresses = publishNotReady ? true : null,
                ClusterIP = headless ? "None" : null,
                Ports = ports ?? [new V1ServicePort { Name = "web", Port = 80, TargetPort = "http" }],
            },
        }, ns);

    public async Task<V1Endpoints?> EndpointsAsync(string name)
    {
        try { return await client.CoreV1.ReadNamespacedEndpointsAsync(name, ns); }
        catch (k8s.Autorest.HttpOperationException e) when ((int)e.Response.StatusCode == 404) { return null; }
    }

    public async Task<IList<V1EndpointSlice>> SlicesAsync(string service) =>
        (await client.DiscoveryV1.ListNamespacedEndpointSliceAsync(ns, labelSelector: $"kubernetes.io/service-name={service}")).Items;

    /// <summary>Polls until <paramref name="done"/> holds for the Service's Endpoints; returns them.</summary>
    public async Task<V1Endpoints> WaitForEndpointsAsync(string name, Func<V1Endpoints, bool> done, string what)
    {
        V1Endpoints? last = null;
        try
        {
            await TestApiServer.Eventually(async () => (last = await EndpointsAsync(name)) is { } e && done(e), what);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; Endpoints {name}: {(last is null ? "none" : KubernetesJson.Serialize(last))}");
        }
        return last!;
    }

    /// <summary>Polls until <paramref name="done"/> holds for the Service's EndpointSlices; returns them.</summary>
    public async Task<IList<V1EndpointSlice>> WaitForSlicesAsync(string service, Func<IList<V1EndpointSlice>, bool> done, string what)
    {
        IList<V1EndpointSlice> last = [];
        try
        {
            await TestApiServer.Eventually(async () => done(last = await SlicesAsync(service)), what);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; slices of {service}: {KubernetesJson.Serialize(last)}");
        }
        return last;
    }

    public static IEnumerable<string> Ips(IEnumerable<V1EndpointAddress>? addresses) => (addresses ?? []).Select(a => a.Ip).Order(StringComparer.Ordinal);
}
