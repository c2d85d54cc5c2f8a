using System.Net;
using Kybernet.Kubelet.Pods.Probes;

namespace Kybernet.Kubelet.Tests.Pods.Probes;

/// <summary>tcpSocket probes against real sockets in a test namespace.</summary>
public sealed class TcpProberTests : IDisposable
{
    private readonly ProbeNamespace _ns = new();

    [Fact]
    public async Task AListeningPortSucceeds()
    {
        using var listener = _ns.Listen();
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var check = await new TcpProber(_ns.Sockets).ProbeAsync("127.0.0.1", port, TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.Equal(ProbeCheck.Success(), check);
    }

    [Fact]
    public async Task AClosedPortIsRefused()
    {
        var port = _ns.ClosedPort();
        var check = await new TcpProber(_ns.Sockets).ProbeAsync("127.0.0.1", port, TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.Equal(ProbeCheck.Failure($"dial tcp 127.0.0.1:{port}: connect: connection refused"), check);
    }

    [Fact]
    public async Task AnUnreachableNetworkFailsAtOnce()
    {
        // Only lo is up in the namespace: there is no route to anywhere else.
        var check = await new TcpProber(_ns.Sockets).ProbeAsync("10.250.0.1", 80, TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.Equal(ProbeCheck.Failure("dial tcp 10.250.0.1:80: connect: network is unreachable"), check);
    }

    public void Dispose() => _ns.Dispose();
}
