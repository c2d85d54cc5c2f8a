namespace Kybernet.Kubelet.Tests.Agnhost;

/// <summary>connect's exit codes and upstream's fixed words on stderr, against a netexec in the same namespace.</summary>
public sealed class ConnectTests(NetexecFixture netexec) : IClassFixture<NetexecFixture>
{
    private (int Code, string Stderr) Connect(params string[] args)
    {
        var result = AgnhostProcess.Run(netexec.Namespace.Namespace, ["connect", .. args]);
        Assert.False(result.TimedOut);
        return (result.ExitCode, result.Stderr);
    }

    [Fact]
    public void AListeningPortExitsZero() => Assert.Equal((0, ""), Connect("127.0.0.1:8080", "--timeout=5s"));

    [Fact]
    public void AClosedPortIsRefused() => Assert.Equal((1, "REFUSED\n"), Connect("127.0.0.1:1", "--timeout", "5s"));

    [Fact]
    public void AnUnreachableNetworkIsOther()
    {
        // Only lo exists in the namespace: the kernel refuses the route at once, and nothing leaves.
        var (code, stderr) = Connect("192.0.2.1:80", "--timeout=2s");
        Assert.Equal(1, code);
        Assert.Equal("OTHER: dial tcp 192.0.2.1:80: connect: network is unreachable\n", stderr);
    }

    [Fact]
    public void AnAddressWithoutPortIsUnknown()
    {
        var (code, stderr) = Connect("127.0.0.1");
        Assert.Equal(1, code);
        Assert.Equal("UNKNOWN: address 127.0.0.1: missing port in address\n", stderr);
    }

    [Fact]
    public void AnUnknownNameIsDns()
    {
        var (code, stderr) = Connect("no-such-host.invalid:80", "--timeout=5s");
        Assert.Equal(1, code);
        Assert.StartsWith("DNS: lookup no-such-host.invalid", stderr);
    }

    [Fact]
    public void UdpExitsZeroWhenTheServerAnswers() => Assert.Equal((0, ""), Connect("127.0.0.1:8081", "--protocol=udp", "--timeout=5s"));

    [Fact]
    public void UdpToAClosedPortIsRefused()
    {
        var (code, stderr) = Connect("127.0.0.1:1", "--protocol=udp", "--timeout=5s");
        Assert.Equal(1, code);
        Assert.StartsWith("REFUSED: read udp 127.0.0.1:", stderr);
    }

    [Fact]
    public void UdpWithoutAnAnswerTimesOut()
    {
        var (code, stderr) = Connect("127.0.0.1:8081", "--protocol=udp", "--udp-data=nothing-known", "--timeout=300ms");
        Assert.Equal(1, code);
        Assert.StartsWith("TIMEOUT: read udp 127.0.0.1:", stderr);
    }
}
