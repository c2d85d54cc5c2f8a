using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;

namespace Kybernet.ApiServer.Security;

/// <summary>
/// An HTTPS client for a server's API as its admin: it trusts only the cluster's CA (DATA_DIR/pki/ca.crt,
/// not the machine's roots) and sends the admin token. For benchmarks, tests and in-cluster tools.
/// </summary>
public static class AdminHttpClient
{
    public static HttpClient Create(string dataDirectory, Uri server, int maxConnections = 16, TimeSpan? timeout = null)
    {
        var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(dataDirectory, "pki", "ca.crt"));
        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = maxConnections };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return cert is X509Certificate2 c && chain.Build(c);
        };
        var http = new HttpClient(handler) { BaseAddress = server, Timeout = timeout ?? TimeSpan.FromSeconds(100) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminCredentials.LoadOrCreateToken(Path.Combine(dataDirectory, "pki")));
        return http;
    }
}
