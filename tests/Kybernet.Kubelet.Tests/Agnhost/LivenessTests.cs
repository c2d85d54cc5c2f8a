using System.Net;
using Kybernet.Agnhost;
using Kybernet.Agnhost.Http;

namespace Kybernet.Kubelet.Tests.Agnhost;

/// <summary>liveness: healthy for 10 s, then not (the flip is checked on the pure answer, not by waiting 10 s).</summary>
public sealed class LivenessTests
{
    private static HttpRequest Get(string target) => HttpServer.Parse($"GET {target} HTTP/1.1\r\n", "r", out _)!;

    [Fact]
    public void HealthzIsOkForTenSecondsThenFails()
    {
        var early = LivenessCommand.Answer(Get("/healthz"), TimeSpan.FromSeconds(9.5));
        Assert.Equal((200, "ok"), (early.Status, System.Text.Encoding.UTF8.GetString(early.Body)));
        var late = LivenessCommand.Answer(Get("/healthz"), TimeSpan.FromSeconds(10.5));
        Assert.Equal((500, "error: 10.5"), (late.Status, System.Text.Encoding.UTF8.GetString(late.Body)));
    }

    [Fact]
    public void TheRunningServerAnswersHealthyStartedAndRedirect()
    {
        using var agnhost = AgnhostInNamespace.Start(["liveness"], 8080);
        Assert.Equal((HttpStatusCode.OK, "ok"), agnhost.Client.GetText("http://127.0.0.1:8080/healthz"));
        Assert.EndsWith("s", agnhost.Client.GetText("http://127.0.0.1:8080/started").Body);
        using var redirect = agnhost.Client.Get("http://127.0.0.1:8080/redirect?loc=%2Fhealthz");
        Assert.Equal(HttpStatusCode.Found, redirect.StatusCode);
        Assert.Equal("/healthz", redirect.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.NotFound, agnhost.Client.GetText("http://127.0.0.1:8080/other").Status);
    }
}
