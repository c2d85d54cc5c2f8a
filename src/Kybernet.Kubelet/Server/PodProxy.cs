using System.Globalization;
using System.Net;
using k8s.Models;
using Kybernet.Streams.Http;
using Microsoft.AspNetCore.Http;

namespace Kybernet.Kubelet.Server;

/// <summary>
/// /podProxy/NS/POD/SCHEME/PORT/PATH: an HTTP request passed on to one of this node's pods, at its IP (a hostNetwork
/// pod: the node's) and the port asked. How the API server's pods/proxy and services/proxy reach pods from a control
/// plane that is not on the pod network: through the kubelet of the pod's node, which is. Only pods bound here are
/// served, so this is no open relay.
/// </summary>
public sealed class PodProxy(Func<IEnumerable<V1Pod>> pods, IPAddress nodeIp) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        // A pod serving https (the "https:" scheme) has its own certificate, which nothing here can vouch for, as upstream.
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
    })
    { Timeout = Timeout.InfiniteTimeSpan };

    public async Task ServeAsync(HttpContext context, string ns, string podName, string scheme, string port)
    {
        var pod = BoundPods.Find(pods, ns, podName);
        if (scheme is not ("http" or "https"))
            throw new RequestRefusedException(400, $"scheme \"{scheme}\" is neither http nor https");
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535)
            throw new RequestRefusedException(400, $"port \"{port}\" is not a port number");
        var ip = pod.Spec.HostNetwork == true ? nodeIp.ToString() : pod.Status?.PodIP;
        if (string.IsNullOrEmpty(ip))
            throw new RequestRefusedException(503, $"pod \"{podName}\" has no IP yet");
        var rest = HttpForwarder.Rest(context, $"/podProxy/{ns}/{podName}/{scheme}/{port}");
        var target = new Uri($"{scheme}://{(ip.Contains(':') ? $"[{ip}]" : ip)}:{number}{rest}");
        try
        {
            await HttpForwarder.ForwardAsync(context, _http, target, context.RequestAborted);
        }
        catch (HttpRequestException e) when (!context.Response.HasStarted)
        {
            throw new RequestRefusedException(502, $"error trying to reach pod {podName} at {target.GetLeftPart(UriPartial.Authority)}: {e.InnerException?.Message ?? e.Message}");
        }
    }

    public void Dispose() => _http.Dispose();
}
