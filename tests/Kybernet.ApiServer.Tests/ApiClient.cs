using System.Text;
using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Tests;

/// <summary>A plain HTTPS client for the API server (the admin client), with JSON helpers.</summary>
public sealed class ApiClient : IDisposable
{
    private readonly HttpClient _http;

    public ApiClient(string dataDirectory, Uri server) =>
        _http = global::Kybernet.ApiServer.Security.AdminHttpClient.Create(dataDirectory, server, timeout: TimeSpan.FromSeconds(30));

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
