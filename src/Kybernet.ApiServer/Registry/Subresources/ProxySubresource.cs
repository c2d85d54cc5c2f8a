using System.Globalization;
using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Kubelets;
using Kybernet.Streams.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Kybernet.ApiServer.Registry.Subresources;

/// <summary>
/// pods/, services/ and nodes/NAME/proxy/PATH: any HTTP request passed on, as upstream (what `kubectl proxy` users
/// open, and `kubectl get --raw`). NAME may carry a scheme and a port: NAME, NAME:PORT, https:NAME:PORT. A node's is
/// its kubelet; a pod's (and a service's, through one of its ready endpoints) goes through the kubelet of the pod's
/// node, which is on the pod network where the control plane need not be (upstream dials the pod itself, or uses
/// its konnectivity tunnel for the same reason).
/// </summary>
public abstract class ProxySubresource : ConnectSubresource
{
    public override string Name => "proxy";

    /// <summary>What discovery names; any method is passed on.</summary>
    public override IReadOnlyList<string> Verbs => ["create", "delete", "get", "patch", "update"];

    public override bool Serves(string verb) => true;

    /// <summary>The resource's URL segment (pods, services, nodes): the proxied path starts after RESOURCE/NAME/proxy.</summary>
    protected abstract string Plural { get; }

    /// <summary>The kubelet's node and the path on it this request goes to.</summary>
    protected abstract Task<(JsonObject Node, string KubeletPath)> TargetAsync(ConnectRequest request, (string Scheme, string Name, string Port) target, CancellationToken cancellationToken);

    public override async Task ServeAsync(ConnectRequest request, CancellationToken cancellationToken)
    {
        var (node, path) = await TargetAsync(request, SplitSchemeNamePort(request.Name), cancellationToken);
        var kubelet = request.Services.GetRequiredService<KubeletClient>();
        var url = new Uri(KubeletClient.BaseUrl(node), path + HttpForwarder.Rest(request.Http, $"/{Plural}/{request.Name}/proxy"));
        try
        {
            await HttpForwarder.ForwardAsync(request.Http, kubelet.Proxy, url, cancellationToken);
        }
        catch (HttpRequestException e) when (!request.Http.Response.HasStarted)
        {
            throw new ApiException(503, "ServiceUnavailable", $"error trying to reach service: {e.InnerException?.Message ?? e.Message}");
        }
    }

    /// <summary>Upstream's name forms: NAME, NAME:PORT, SCHEME:NAME:PORT (scheme http or https).</summary>
    public static (string Scheme, string Name, string Port) SplitSchemeNamePort(string id)
    {
        var parts = id.Split(':');
        return parts.Length switch
        {
            1 => ("", parts[0], ""),
            2 => ("", parts[0], parts[1]),
            3 when parts[0] is "http" or "https" => (parts[0], parts[1], parts[2]),
            _ => throw ApiException.BadRequest($"invalid service request {id}"),
        };
    }

    protected static string PodPath(string ns, string pod, string scheme, int port) =>
        $"/podProxy/{Uri.EscapeDataString(ns)}/{Uri.EscapeDataString(pod)}/{(scheme.Length == 0 ? "http" : scheme)}/{port.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>pods/NAME[:PORT]/proxy: to the pod, at the port named (a number or a container port's name), 80 if none.</summary>
public sealed class PodProxySubresource : ProxySubresource
{
    public override GroupVersionKind ResponseKind { get; } = new("", "v1", "PodProxyOptions");

    protected override string Plural => "pods";

    protected override async Task<(JsonObject Node, string KubeletPath)> TargetAsync(ConnectRequest request, (string Scheme, string Name, string Port) target, CancellationToken cancellationToken)
    {
        var pod = await PodTarget.FindAsync(request with { Name = target.Name }, cancellationToken);
        var port = target.Port.Length > 0 ? ResolvePort(pod.Pod, target.Port) : 80;
        return (await pod.NodeAsync(request, cancellationToken), PodPath(request.Namespace!, target.Name, target.Scheme, port));
    }

    /// <summary>A port number, or the name of one of the pod's container ports.</summary>
    private static int ResolvePort(JsonObject pod, string port)
    {
        if (int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            return number is > 0 and < 65536 ? number : throw ApiException.BadRequest($"invalid port {port}");
        var named = (pod["spec"]?["containers"] as JsonArray ?? []).SelectMany(c => c?["ports"] as JsonArray ?? [])
            .FirstOrDefault(p => ObjectMeta.Str(p?["name"]) == port);
        return named?["containerPort"] is JsonValue v && v.TryGetValue<int>(out var n) ? n
            : throw ApiException.BadRequest($"no such port {port} in pod {ObjectMeta.Name(pod)}");
    }
}

/// <summary>services/NAME[:PORT]/proxy: to a ready endpoint of the service (picked at random), at the port's target.</summary>
public sealed class ServiceProxySubresource : ProxySubresource
{
    public override GroupVersionKind ResponseKind { get; } = new("", "v1", "ServiceProxyOptions");

    protected override string Plural => "services";

    protected override async Task<(JsonObject Node, string KubeletPath)> TargetAsync(ConnectRequest request, (string Scheme, string Name, string Port) target, CancellationToken cancellationToken)
    {
        var service = await request.RequireAsync("services", request.Namespace, target.Name, cancellationToken);
        var ports = service["spec"]?["ports"] as JsonArray ?? [];
        var servicePort = (target.Port.Length == 0 && ports.Count == 1 ? ports[0]
            : ports.FirstOrDefault(p => ObjectMeta.Str(p?["name"]) == target.Port || p?["port"]?.ToString() == target.Port))
            ?? throw ApiException.BadRequest($"no service port \"{target.Port}\" found for service \"{target.Name}\"");
        var portName = ObjectMeta.Str(servicePort["name"]) ?? "";

        var endpoints = await request.GetAsync("endpoints", request.Namespace, target.Name, cancellationToken);
        var candidates = (endpoints?["subsets"] as JsonArray ?? []).SelectMany(subset =>
        {
            var port = (subset?["ports"] as JsonArray ?? []).FirstOrDefault(p => (ObjectMeta.Str(p?["name"]) ?? "") == portName)?["port"];
            return port is JsonValue v && v.TryGetValue<int>(out var n)
                ? (subset?["addresses"] as JsonArray ?? []).Select(a => (Address: a, Port: n))
                : [];
        }).Where(c => ObjectMeta.Str(c.Address?["targetRef"]?["kind"]) == "Pod" && ObjectMeta.Str(c.Address?["nodeName"]) is { Length: > 0 }).ToList();
        if (candidates.Count == 0)
            throw new ApiException(503, "ServiceUnavailable", $"no endpoints available for service \"{target.Name}\"");
        var (address, targetPort) = candidates[Random.Shared.Next(candidates.Count)];
        var podName = ObjectMeta.Str(address!["targetRef"]!["name"])!;
        var nodeName = ObjectMeta.Str(address["nodeName"])!;
        var node = await request.GetAsync("nodes", null, nodeName, cancellationToken)
            ?? throw new ApiException(503, "ServiceUnavailable", $"node \"{nodeName}\" of endpoint {podName} does not exist");
        return (node, PodPath(request.Namespace!, podName, target.Scheme, targetPort));
    }
}

/// <summary>nodes/NAME/proxy: to the node's kubelet (its /healthz, /pods, /containerLogs, ...).</summary>
public sealed class NodeProxySubresource : ProxySubresource
{
    public override GroupVersionKind ResponseKind { get; } = new("", "v1", "NodeProxyOptions");

    protected override string Plural => "nodes";

    protected override async Task<(JsonObject Node, string KubeletPath)> TargetAsync(ConnectRequest request, (string Scheme, string Name, string Port) target, CancellationToken cancellationToken)
    {
        return (await request.RequireAsync("nodes", null, target.Name, cancellationToken), "");
    }
}
