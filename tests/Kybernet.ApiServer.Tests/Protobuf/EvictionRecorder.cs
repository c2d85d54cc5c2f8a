using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Kybernet.ApiServer.Tests.Protobuf;

/// <summary>
/// A plain-HTTP stand-in in front of the test server that records the exact bytes of each eviction
/// kubectl drain sends: it passes every request through, and after an eviction the server accepted it
/// finishes the pod's graceful deletion at once, as the node's kubelet would (there is none here).
/// </summary>
public sealed class EvictionRecorder : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly HttpClient _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public EvictionRecorder(ServerFixture server)
    {
        _upstream = global::Kybernet.ApiServer.Security.AdminHttpClient.Create(server.DataDirectory, server.Server.Url, timeout: TimeSpan.FromSeconds(30));
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Url = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        KubeconfigPath = Path.Combine(server.DataDirectory, "eviction-recorder.kubeconfig");
        File.WriteAllText(KubeconfigPath, $"""
            apiVersion: v1
            kind: Config
            clusters: [{"{"}name: recorder, cluster: {"{"}server: "{Url.TrimEnd('/')}"{"}"}{"}"}]
            users: [{"{"}name: anyone, user: {"{"}{"}"}{"}"}]
            contexts: [{"{"}name: recorder, context: {"{"}cluster: recorder, user: anyone{"}"}{"}"}]
            current-context: recorder
            """);
        _loop = Task.Run(Serve);
    }

    public string Url { get; }
    public string KubeconfigPath { get; }
    public List<CapturedRequest> Evictions { get; } = [];

    private async Task Serve()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception) when (_stop.IsCancellationRequested) { return; }
            _ = Task.Run(() => Handle(context));
        }
    }

    private async Task Handle(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        try
        {
            using var body = new MemoryStream();
            await request.InputStream.CopyToAsync(body);
            var path = request.Url!.PathAndQuery;
            if (request.HttpMethod == "POST" && request.Url.AbsolutePath.EndsWith("/eviction", StringComparison.Ordinal))
            {
                lock (Evictions)
                    Evictions.Add(new CapturedRequest("POST", request.Url.ToString(), body.ToArray()));
                using var eviction = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body.ToArray()) };
                eviction.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
                using var evicted = await _upstream.SendAsync(eviction);
                if (evicted.IsSuccessStatusCode)
                {
                    var pod = request.Url.AbsolutePath[..^"/eviction".Length];
                    (await _upstream.SendAsync(new HttpRequestMessage(HttpMethod.Delete, pod + "?gracePeriodSeconds=0"))).Dispose();
                }
                await Answer(response, (int)evicted.StatusCode, evicted.Content.Headers.ContentType?.ToString() ?? "application/json",
                    await evicted.Content.ReadAsByteArrayAsync());
                return;
            }
            using var forward = new HttpRequestMessage(new HttpMethod(request.HttpMethod), path);
            if (body.Length > 0)
            {
                forward.Content = new ByteArrayContent(body.ToArray());
                forward.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
            }
            if (request.Headers["Accept"] is { } accept)
                forward.Headers.TryAddWithoutValidation("Accept", accept);
            using var answer = await _upstream.SendAsync(forward);
            var bytes = await answer.Content.ReadAsByteArrayAsync();
            var contentType = answer.Content.Headers.ContentType?.ToString() ?? "application/json";
            await Answer(response, (int)answer.StatusCode, contentType, bytes);
        }
        catch (Exception e)
        {
            await Answer(response, 502, "text/plain", Encoding.UTF8.GetBytes(e.ToString()));
        }
    }

    private static async Task Answer(HttpListenerResponse response, int status, string contentType, byte[] body)
    {
        response.StatusCode = status;
        response.ContentType = contentType;
        response.ContentLength64 = body.Length;
        await response.OutputStream.WriteAsync(body);
        response.Close();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); }
        catch (AggregateException)
        {
            // The loop ends with the listener; how it ended does not matter here.
        }
        _upstream.Dispose();
        _stop.Dispose();
    }
}
