using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.Streams.Http;

namespace Kybernet.ApiServer.Kubelets;

/// <summary>
/// How the API server calls a node's kubelet (logs; later exec, attach, port-forward and nodes/proxy): HTTPS to the
/// node's InternalIP and the port its status names (daemonEndpoints.kubeletEndpoint, 10250), showing the server's
/// kubelet-client certificate and trusting only a kubelet certificate the cluster CA signed (upstream's
/// --kubelet-client-certificate and --kubelet-certificate-authority).
/// </summary>
public sealed class KubeletClient : IDisposable
{
    public const int DefaultPort = 10250;

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    private readonly HttpClient _http;
    private readonly X509Certificate2 _clusterCa;
    private readonly X509Certificate2 _clientCertificate;

    public KubeletClient(X509Certificate2 clusterCa, X509Certificate2 clientCertificate)
    {
        (_clusterCa, _clientCertificate) = (clusterCa, clientCertificate);
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = ConnectTimeout,
            SslOptions = TlsOptions(""),
            // Proxied answers go back as the kubelet (or the pod behind it) gave them.
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        };
        // A followed log or a proxied stream runs as long as its reader wants: no overall timeout, the caller's cancellation ends it.
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The kubelet's base URL for <paramref name="node"/> (a stored Node), or a 503 naming what is missing.</summary>
    public static Uri BaseUrl(JsonObject node)
    {
        var name = ObjectMeta.Name(node);
        var addresses = node["status"]?["addresses"] as JsonArray ?? [];
        var ip = addresses.Select(a => (Type: ObjectMeta.Str(a?["type"]), Address: ObjectMeta.Str(a?["address"])))
            .FirstOrDefault(a => a.Type == "InternalIP").Address
            ?? throw new ApiException(503, "ServiceUnavailable", $"node \"{name}\" has no InternalIP address: its kubelet cannot be reached");
        var port = node["status"]?["daemonEndpoints"]?["kubeletEndpoint"]?["Port"] is JsonValue p && p.TryGetValue<int>(out var n) && n > 0 ? n : DefaultPort;
        return new UriBuilder("https", ip, port).Uri;
    }

    /// <summary>GETs <paramref name="pathAndQuery"/> from the node's kubelet, answering as soon as the headers are in.</summary>
    public async Task<HttpResponseMessage> GetAsync(JsonObject node, string pathAndQuery, CancellationToken cancellationToken)
    {
        var url = new Uri(BaseUrl(node), pathAndQuery);
        try
        {
            return await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new ApiException(500, "InternalError", $"Get \"{url}\": {e.InnerException?.Message ?? e.Message}");
        }
    }

    /// <summary>
    /// Sends an upgrade request (exec, attach, port-forward: SPDY/3.1) to the node's kubelet over a connection of its own,
    /// HTTP/1.1 as upgrades must be. The answer, and the connection: the new protocol's on 101. The caller owns it.
    /// </summary>
    public async Task<(HttpUpgrade.Answer Answer, Stream Connection)> UpgradeAsync(JsonObject node, string method, string pathAndQuery,
        IEnumerable<KeyValuePair<string, string>> headers, CancellationToken cancellationToken)
    {
        var url = BaseUrl(node);
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            using (var connecting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                connecting.CancelAfter(ConnectTimeout);
                await tcp.ConnectAsync(url.Host, url.Port, connecting.Token);
            }
            var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
            var options = TlsOptions(url.Host);
            options.ApplicationProtocols = [SslApplicationProtocol.Http11];
            await tls.AuthenticateAsClientAsync(options, cancellationToken);
            return (await HttpUpgrade.RequestAsync(tls, method, url.Authority, pathAndQuery, headers, cancellationToken), tls);
        }
        catch (Exception e) when (e is SocketException or IOException or AuthenticationException or InvalidDataException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            tcp.Dispose();
            throw new ApiException(500, "InternalError", $"error dialing backend: {method} \"{new Uri(url, pathAndQuery)}\": {e.Message}");
        }
    }

    private SslClientAuthenticationOptions TlsOptions(string host) => new()
    {
        TargetHost = host,
        ClientCertificates = [_clientCertificate],
        RemoteCertificateValidationCallback = (_, certificate, _, errors) => certificate is X509Certificate2 cert && IsFromCa(cert, _clusterCa, errors),
    };

    private static bool IsFromCa(X509Certificate2 certificate, X509Certificate2 ca, SslPolicyErrors errors)
    {
        // The name is checked by the handshake (the IP is in the kubelet's SANs); the chain is checked against our CA alone.
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0 || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
            return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    /// <summary>The client proxied requests (nodes/proxy, pods/ and services/proxy) go through: the same as logs'.</summary>
    public HttpClient Proxy => _http;

    public void Dispose() => _http.Dispose();
}
