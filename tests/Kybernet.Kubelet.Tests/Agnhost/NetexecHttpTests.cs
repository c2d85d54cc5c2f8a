using System.Net;
using System.Text.Json;

namespace Kybernet.Kubelet.Tests.Agnhost;

/// <summary>netexec's HTTP endpoints, over real connections to a running agnhost in a test namespace.</summary>
public sealed class NetexecHttpTests(NetexecFixture netexec) : IClassFixture<NetexecFixture>
{
    private const string Base = "http://127.0.0.1:8080";

    private (HttpStatusCode Status, string Body) Get(string pathAndQuery) => netexec.Client.GetText(Base + pathAndQuery);

    [Fact]
    public void RootAnswersTheTime()
    {
        var (status, body) = Get("/");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Matches(@"^NOW: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC m=\+\d+\.\d{9}$", body);
        Assert.StartsWith("NOW: ", Get("/no/such/path").Body); // everything unmatched goes to "/"
    }

    [Fact]
    public void HostnameAnswersTheKernelsHostname()
    {
        Assert.Equal((HttpStatusCode.OK, NetexecFixture.HostName), Get("/hostname"));
        Assert.Equal((HttpStatusCode.OK, NetexecFixture.HostName), Get("/hostName"));
    }

    [Fact]
    public void ClientIpIsTheCallersAddressAndPort()
    {
        var (status, body) = Get("/clientip");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Matches(@"^127\.0\.0\.1:\d+$", body);
    }

    [Fact]
    public void EchoAnswersTheMessageWithTheGivenCode()
    {
        Assert.Equal((HttpStatusCode.OK, "hello world!"), Get("/echo?msg=hello+world%21"));
        Assert.Equal((HttpStatusCode.NotFound, "gone"), Get("/echo?msg=gone&code=404"));
        Assert.Equal((HttpStatusCode.OK, "argument 'code' must be an integer or empty, got \"x\"\n"), Get("/echo?msg=a&code=x"));
    }

    [Fact]
    public void HeaderAnswersOneHeaderOrAllAsJson()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Base + "/header?key=x-test-header");
        request.Headers.Add("X-Test-Header", "forty-two");
        Assert.Equal("forty-two", netexec.Client.SendText(request).Body);
        // Go moves Host out of the request's headers, so upstream answers it as absent.
        Assert.Equal((HttpStatusCode.OK, ""), Get("/header?key=host"));
        var (status, body) = Get("/header");
        Assert.Equal(HttpStatusCode.OK, status);
        using var json = JsonDocument.Parse(body);
        Assert.False(json.RootElement.TryGetProperty("Host", out _)); // as Go's Request.Header: Host is not among them
        Assert.All(json.RootElement.EnumerateObject(), p => Assert.Equal(JsonValueKind.Array, p.Value.ValueKind));
        using var withTwo = new HttpRequestMessage(HttpMethod.Get, Base + "/header");
        withTwo.Headers.TryAddWithoutValidation("x-multi", ["one", "two"]);
        using var multi = JsonDocument.Parse(netexec.Client.SendText(withTwo).Body);
        var values = multi.RootElement.GetProperty("X-Multi").EnumerateArray().Select(v => v.GetString()).ToList();
        Assert.Equal(["one, two"], values); // HttpClient folds them into one line; the name comes back canonical
    }

    [Fact]
    public void HealthzAndReadyzAreOkOnceTheUdpServerRuns()
    {
        Assert.Equal((HttpStatusCode.OK, ""), Get("/healthz"));
        Assert.Equal((HttpStatusCode.OK, "ok"), Get("/readyz"));
    }

    [Fact]
    public void ShellRunsTheCommandAndReportsOutputAndError()
    {
        var ok = Get("/shell?shellCommand=" + Uri.EscapeDataString("echo out; echo err 1>&2"));
        Assert.Equal((HttpStatusCode.OK, "{\"output\":\"out\\nerr\\n\"}"), ok);
        var failed = Get("/shell?cmd=" + Uri.EscapeDataString("exit 3"));
        Assert.Equal((HttpStatusCode.OK, "{\"error\":\"exit status 3\"}"), failed);
        var escaped = Get("/shell?shellCommand=" + Uri.EscapeDataString("printf '<a&b>\"'"));
        Assert.Equal("{\"output\":\"\\u003ca\\u0026b\\u003e\\\"\"}", escaped.Body);
    }

    [Fact]
    public void DialOverHttpFetchesTheRequestPathEveryTry()
    {
        var (status, body) = Get("/dial?request=hostname&host=127.0.0.1&port=8080&protocol=http&tries=3");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(Json(responses: [NetexecFixture.HostName, NetexecFixture.HostName, NetexecFixture.HostName]), body);
        Assert.Equal(Json(responses: ["hi"]), Get("/dial?request=" + Uri.EscapeDataString("echo?msg=hi") + "&host=127.0.0.1&port=8080").Body);
    }

    [Fact]
    public void DialOverUdpSendsTheRequest()
    {
        var body = Get("/dial?request=hostname&host=127.0.0.1&port=8081&protocol=udp&tries=2").Body;
        Assert.Equal(Json(responses: [NetexecFixture.HostName, NetexecFixture.HostName]), body);
        Assert.Equal(Json(responses: ["abc"]), Get("/dial?request=echo+abc&host=127.0.0.1&port=8081&protocol=udp").Body);
    }

    [Fact]
    public void DialReportsARefusedConnectionInUpstreamsWords()
    {
        var (status, body) = Get("/dial?request=hostname&host=127.0.0.1&port=1&protocol=http");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("{\"errors\":[\"Get \\\"http://127.0.0.1:1/hostname\\\": dial tcp 127.0.0.1:1: connect: connection refused\"]}", body);
        var udp = Get("/dial?request=hostname&host=127.0.0.1&port=1&protocol=udp").Body;
        Assert.Contains("reading from udp connection failed", udp);
        Assert.Contains("connection refused", udp);
    }

    [Fact]
    public void DialRejectsBadParametersWith400()
    {
        Assert.Equal((HttpStatusCode.BadRequest, "request parameter not specified. <nil>\n"), Get("/dial?host=127.0.0.1&port=8080"));
        Assert.Equal((HttpStatusCode.BadRequest, "unsupported protocol. ftp\n"), Get("/dial?request=x&host=127.0.0.1&port=8080&protocol=ftp"));
        Assert.Equal(HttpStatusCode.BadRequest, Get("/dial?request=x&host=127.0.0.1&port=8080&tries=many").Status);
        Assert.Equal(HttpStatusCode.BadRequest, Get("/dial?request=x&host=127.0.0.1&port=http-alt").Status);
    }

    [Fact]
    public void RedirectAnswersFoundWithTheLocation()
    {
        using var found = netexec.Client.Get(Base + "/redirect?location=" + Uri.EscapeDataString("/echo?msg=foo"));
        Assert.Equal(HttpStatusCode.Found, found.StatusCode);
        Assert.Equal("/echo?msg=foo", found.Headers.Location?.OriginalString);
        using var temporary = netexec.Client.Get(Base + "/redirect?location=/hostname&code=307");
        Assert.Equal(HttpStatusCode.TemporaryRedirect, temporary.StatusCode);
    }

    [Fact]
    public void EachRequestIsLoggedOnOneLine()
    {
        Get("/echo?msg=logged-one");
        netexec.Server.WaitUntil(() => netexec.Server.Log.Contains("GET /echo?msg=logged-one from 127.0.0.1:"), "logging the request");
        Assert.Matches(@"(?m)^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d GET /echo\?msg=logged-one from 127\.0\.0\.1:\d+$", netexec.Server.Log);
    }

    private static string Json(string[]? responses = null, string[]? errors = null)
    {
        var fields = new List<string>();
        if (errors is not null)
            fields.Add($"\"errors\":{JsonSerializer.Serialize(errors)}");
        if (responses is not null)
            fields.Add($"\"responses\":{JsonSerializer.Serialize(responses)}");
        return "{" + string.Join(',', fields) + "}";
    }
}
