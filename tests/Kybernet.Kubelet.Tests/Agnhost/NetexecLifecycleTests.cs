using System.Net;
using Kybernet.Linux.Processes;

namespace Kybernet.Kubelet.Tests.Agnhost;

/// <summary>How netexec ends: /exit with a code, /shutdown, SIGTERM (with and without --delay-shutdown).</summary>
public sealed class NetexecLifecycleTests
{
    private static readonly TimeSpan ExitBound = TimeSpan.FromSeconds(15);

    [Fact]
    public void ExitAnswersThenExitsWithTheCode()
    {
        using var agnhost = AgnhostInNamespace.Start(["netexec", "--http-port=8090", "--udp-port=-1"], 8090);
        Assert.Equal((HttpStatusCode.OK, ""), agnhost.Client.GetText("http://127.0.0.1:8090/exit?code=42"));
        Assert.Equal(42, agnhost.Process.WaitForExit(ExitBound));
    }

    [Fact]
    public void ExitRejectsACodeThatIsNoNumberAndKeepsRunning()
    {
        using var agnhost = AgnhostInNamespace.Start(["netexec", "--http-port", "8091"], 8091);
        var (_, body) = agnhost.Client.GetText("http://127.0.0.1:8091/exit?code=seven");
        Assert.Equal("argument 'code' must be an integer [0-127] or empty, got \"seven\"\n", body);
        Assert.True(agnhost.Client.CanConnect(8091));
    }

    [Fact]
    public void ShutdownExitsZero()
    {
        using var agnhost = AgnhostInNamespace.Start(["netexec", "--http-port=8092", "--udp-port=8093"], 8092);
        agnhost.Client.GetText("http://127.0.0.1:8092/shutdown");
        Assert.Equal(0, agnhost.Process.WaitForExit(ExitBound));
    }

    [Fact]
    public void SigtermExitsZero()
    {
        using var agnhost = AgnhostInNamespace.Start(["netexec"], 8080);
        agnhost.Process.Signal(Signals.SIGTERM);
        Assert.Equal(0, agnhost.Process.WaitForExit(ExitBound));
    }

    [Fact]
    public void DuringTheShutdownDelayReadyzFailsAndHealthzStaysOk()
    {
        using var agnhost = AgnhostInNamespace.Start(["netexec", "--delay-shutdown=2"], 8080);
        agnhost.Process.Signal(Signals.SIGTERM);
        agnhost.Process.WaitUntil(() => agnhost.Process.Log.Contains("Sleeping 2 seconds before terminating..."), "delaying its shutdown");
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "shutting down"), agnhost.Client.GetText("http://127.0.0.1:8080/readyz"));
        Assert.Equal(HttpStatusCode.OK, agnhost.Client.GetText("http://127.0.0.1:8080/healthz").Status);
        Assert.Equal(0, agnhost.Process.WaitForExit(ExitBound));
    }

    [Fact]
    public void WithoutTheUdpServerHealthzIsPreconditionFailed()
    {
        using var agnhost = AgnhostInNamespace.Start(["netexec", "--udp-port=-1"], 8080);
        Assert.Equal(HttpStatusCode.PreconditionFailed, agnhost.Client.GetText("http://127.0.0.1:8080/healthz").Status);
    }

    [Fact]
    public void HttpOverrideAnswersEveryPathAsTheGivenOne()
    {
        using var agnhost = AgnhostInNamespace.Start(["netexec", "--http-override=/echo?msg=overridden"], 8080);
        Assert.Equal((HttpStatusCode.OK, "overridden"), agnhost.Client.GetText("http://127.0.0.1:8080/anything"));
    }
}
