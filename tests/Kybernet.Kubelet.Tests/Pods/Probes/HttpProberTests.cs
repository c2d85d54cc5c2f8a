using Kybernet.Kubelet.Pods.Probes;

namespace Kybernet.Kubelet.Tests.Pods.Probes;

/// <summary>httpGet probes against a real HTTP server in a test namespace.</summary>
public sealed class HttpProberTests : IDisposable
{
    // Generous: a loaded machine (and a first request that JIT-compiles the HTTP stack) must not fail a working probe.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly ProbeNamespace _ns = new();
    private readonly TestHttpServer _server;
    private readonly HttpProber _prober;

    public HttpProberTests()
    {
        _server = new TestHttpServer(_ns);
        _prober = new HttpProber(_ns.Sockets);
    }

    private string Url(string path) => HttpProber.FormatUrl("HTTP", "127.0.0.1", _server.Port, path);

    private Task<ProbeCheck> Get(string path, params (string, string)[] headers) =>
        _prober.ProbeAsync(Url(path), headers.Select(h => KeyValuePair.Create(h.Item1, h.Item2)).ToList(), Timeout, CancellationToken.None);

    /// <summary>2xx succeeds; 3xx that is not followed (no Location, or another host) is a warning, which counts as success.</summary>
    [Theory]
    [InlineData(200, ProbeCheckStatus.Success)]
    [InlineData(204, ProbeCheckStatus.Success)]
    [InlineData(304, ProbeCheckStatus.Warning)]
    [InlineData(399, ProbeCheckStatus.Warning)]
    [InlineData(400, ProbeCheckStatus.Failure)]
    [InlineData(404, ProbeCheckStatus.Failure)]
    [InlineData(500, ProbeCheckStatus.Failure)]
    public async Task StatusCodesBelow400SucceedOthersFail(int code, ProbeCheckStatus expected)
    {
        _server.Routes["/healthz"] = new TestHttpServer.Response(code, "body");
        var check = await Get("/healthz");
        Assert.Equal(expected, check.Status);
        if (expected == ProbeCheckStatus.Failure)
            Assert.Equal($"HTTP probe failed with statuscode: {code}", check.Output);
    }

    [Fact]
    public async Task SendsUpstreamsDefaultHeadersAndTheProbesOwn()
    {
        _server.Routes["/h"] = new TestHttpServer.Response(200);
        await Get("/h", ("X-Custom", "yes"), ("Host", "example.test"));
        Assert.True(_server.Requests.TryDequeue(out var request));
        Assert.Equal("/h", request.Path);
        Assert.Equal("kube-probe/1.32", request.Headers["user-agent"]);
        Assert.Equal("*/*", request.Headers["accept"]);
        Assert.Equal("yes", request.Headers["x-custom"]);
        Assert.Equal("example.test", request.Headers["host"]);
        Assert.Equal("close", request.Headers["connection"]);
    }

    [Fact]
    public async Task TheProbesUserAgentWinsAndAnEmptyAcceptRemovesIt()
    {
        _server.Routes["/h"] = new TestHttpServer.Response(200);
        await Get("/h", ("User-Agent", "mine/1"), ("Accept", ""));
        Assert.True(_server.Requests.TryDequeue(out var request));
        Assert.Equal("mine/1", request.Headers["user-agent"]);
        Assert.False(request.Headers.ContainsKey("accept"));
    }

    [Fact]
    public async Task FollowsARedirectToTheSameHost()
    {
        _server.Routes["/old"] = new TestHttpServer.Response(302, Location: "/new");
        _server.Routes["/new"] = new TestHttpServer.Response(200, "fine");
        var check = await Get("/old");
        Assert.Equal(ProbeCheck.Success("fine"), check);
        Assert.Equal(["/old", "/new"], _server.Requests.Select(r => r.Path));
    }

    [Fact]
    public async Task StopsAtARedirectToAnotherHostWithAWarning()
    {
        _server.Routes["/away"] = new TestHttpServer.Response(301, "moved", Location: $"http://127.0.0.2:{_server.Port}/elsewhere");
        var check = await Get("/away");
        Assert.Equal(ProbeCheckStatus.Warning, check.Status);
        Assert.Equal("Probe terminated redirects, Response body: moved", check.Output);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task GivesUpAfterTenRedirects()
    {
        _server.Routes["/loop"] = new TestHttpServer.Response(307, Location: "/loop");
        var check = await Get("/loop");
        Assert.Equal(ProbeCheck.Failure($"Get \"http://127.0.0.1:{_server.Port}/loop\": stopped after 10 redirects"), check);
        Assert.Equal(10, _server.Requests.Count);
    }

    [Fact]
    public async Task ReadsAtMostTenKibibytesOfBody()
    {
        _server.Routes["/big"] = new TestHttpServer.Response(200, new string('x', 50_000));
        var check = await Get("/big");
        Assert.Equal(ProbeCheckStatus.Success, check.Status);
        Assert.Equal(HttpProber.MaxBodyBytes, check.Output.Length);
    }

    [Fact]
    public async Task ARefusedConnectionIsWordedAsGoDoes()
    {
        var port = _ns.ClosedPort();
        var url = HttpProber.FormatUrl("HTTP", "127.0.0.1", port, "/healthz");
        var check = await _prober.ProbeAsync(url, [], Timeout, CancellationToken.None);
        Assert.Equal(ProbeCheck.Failure($"Get \"http://127.0.0.1:{port}/healthz\": dial tcp 127.0.0.1:{port}: connect: connection refused"), check);
    }

    [Fact]
    public async Task ASlowServerTimesOut()
    {
        _server.Routes["/slow"] = new TestHttpServer.Response(200, Delay: TimeSpan.FromSeconds(10));
        var check = await _prober.ProbeAsync(Url("/slow"), [], TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.Equal(ProbeCheck.Failure($"Get \"{Url("/slow")}\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"), check);
    }

    [Fact]
    public async Task HttpsSkipsCertificateChecks()
    {
        using var tls = new TestHttpServer(_ns, tls: true);
        tls.Routes["/secure"] = new TestHttpServer.Response(200, "ok");
        // Generous: the first TLS handshake of a process initialises OpenSSL, slow on a loaded machine.
        var check = await _prober.ProbeAsync(HttpProber.FormatUrl("HTTPS", "127.0.0.1", tls.Port, "/secure"), [], TimeSpan.FromSeconds(20), CancellationToken.None);
        Assert.True(tls.Failures.IsEmpty, string.Join("; ", tls.Failures));
        Assert.Equal(ProbeCheck.Success("ok"), check);
    }

    [Fact]
    public void FormatsUrlsAsGo()
    {
        Assert.Equal("http://10.244.1.5:8080/healthz", HttpProber.FormatUrl("HTTP", "10.244.1.5", 8080, "/healthz"));
        Assert.Equal("https://10.244.1.5:443/x", HttpProber.FormatUrl("HTTPS", "10.244.1.5", 443, "x"));
        Assert.Equal("http://[fd00::5]:80", HttpProber.FormatUrl("HTTP", "fd00::5", 80, ""));
    }

    public void Dispose()
    {
        _prober.Dispose();
        _server.Dispose();
        _ns.Dispose();
    }
}
