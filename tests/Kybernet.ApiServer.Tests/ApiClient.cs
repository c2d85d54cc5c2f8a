using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Tests;

/// <summary>A plain HTTPS client for the API server, trusting only its CA, with the admin token.</summary>
public sealed class ApiClient : IDisposable
{
    private readonly HttpClient _http;

    public ApiClient(string dataDirectory, Uri server)
    {
        var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(dataDirectory, "pki", "ca.crt"));
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return cert is X509Certificate2 c && chain.Build(c);
        };
        _http = new HttpClient(handler) { BaseAddress = server, Timeout = TimeSpan.FromSeconds(30) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", File.ReadAllText(Path.Combine(dataDirectory, "pki", "admin.token")).Trim());
    }

    public HttpClient Http => _http;

    public async Task<(int Status, JsonObject Body)> Send(HttpMethod method, string path, JsonNode? body = null, string contentType = "application/json", string? accept = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, contentType);
        if (accept is not null)
            request.Headers.TryAddWithoutValidation("Accept", accept);
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? new JsonObject() : (JsonObject)JsonNode.Parse(text)!);
    }

    public Task<(int Status, JsonObject Body)> Get(string path, string? accept = null) => Send(HttpMethod.Get, path, accept: accept);
    public Task<(int Status, JsonObject Body)> Post(string path, JsonNode body) => Send(HttpMethod.Post, path, body);
    public Task<(int Status, JsonObject Body)> Put(string path, JsonNode body) => Send(HttpMethod.Put, path, body);
    public Task<(int Status, JsonObject Body)> Delete(string path, JsonNode? options = null) => Send(HttpMethod.Delete, path, options);

    public void Dispose() => _http.Dispose();
}
