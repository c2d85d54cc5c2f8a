namespace Kybernet.Kubelet.Tests.Agnhost;

/// <summary>netexec's UDP server: hostname, echo and clientip, one datagram each way.</summary>
public sealed class NetexecUdpTests(NetexecFixture netexec) : IClassFixture<NetexecFixture>
{
    [Fact]
    public void HostnameAnswersTheHostname() => Assert.Equal(NetexecFixture.HostName, netexec.Client.Udp(8081, "hostname"));

    [Fact]
    public void EchoAnswersTheRestLowerCasedAsUpstream()
    {
        Assert.Equal("some text", netexec.Client.Udp(8081, "echo some text\n"));
        Assert.Equal("mixed case", netexec.Client.Udp(8081, "ECHO Mixed Case"));
    }

    [Fact]
    public void ClientIpAnswersTheSendersAddress() => Assert.Matches(@"^127\.0\.0\.1:\d+$", netexec.Client.Udp(8081, "clientip"));

    [Fact]
    public void AnUnknownCommandGetsNoAnswerAndIsLogged()
    {
        Assert.Null(netexec.Client.Udp(8081, "what", TimeSpan.FromMilliseconds(300)));
        netexec.Server.WaitUntil(() => netexec.Server.Log.Contains("Unknown UDP command received from 127.0.0.1:"), "logging the unknown command");
    }
}
