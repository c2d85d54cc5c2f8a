using System.Net;

namespace Kybernet.Kubelet.Tests.Agnhost;

/// <summary>serve-hostname over HTTP (its default), raw TCP and UDP, and its refusal to mix HTTP with the raw modes.</summary>
public sealed class ServeHostnameTests
{
    [Fact]
    public void HttpAnswersTheHostnameOnThePort()
    {
        using var agnhost = AgnhostInNamespace.Start(["serve-hostname"], 9376);
        Assert.Equal((HttpStatusCode.OK, NetexecFixture.HostName), agnhost.Client.GetText("http://127.0.0.1:9376/"));
        Assert.Equal((HttpStatusCode.OK, NetexecFixture.HostName), agnhost.Client.GetText("http://127.0.0.1:9376/any/path"));
    }

    [Fact]
    public void TcpAndUdpAnswerTheHostnameRaw()
    {
        using var agnhost = AgnhostInNamespace.Start(["serve-hostname", "--http=false", "--tcp", "--udp", "--port", "9000"], 9000);
        // Logged once both sockets are bound: TCP taking connections says nothing of UDP.
        agnhost.Process.WaitUntil(() => agnhost.Process.Log.Contains("Serving on port 9000."), "serving");
        Assert.Equal(NetexecFixture.HostName, agnhost.Client.ReadTcp(9000));
        Assert.Equal(NetexecFixture.HostName, agnhost.Client.Udp(9000, "anything"));
    }

    [Fact]
    public void SigtermIsLoggedAndItWaitsForThePodsDeletion()
    {
        using var agnhost = AgnhostInNamespace.Start(["serve-hostname"], 9376);
        agnhost.Process.Signal(Kybernet.Linux.Processes.Signals.SIGTERM);
        agnhost.Process.WaitUntil(() => agnhost.Process.Log.Contains("Awaiting pod deletion."), "awaiting deletion");
        Assert.True(Kybernet.Linux.Processes.ProcFs.IsAlive(agnhost.Process.Pid)); // upstream waits 60 s; disposing kills it
    }

    [Fact]
    public void HttpWithARawModeIsRefused()
    {
        using var ns = new AgnhostNamespace();
        var result = AgnhostProcess.Run(ns.Namespace, "serve-hostname", "--tcp");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Can't serve TCP/UDP mode and HTTP mode at the same time", result.Stdout);
    }
}
