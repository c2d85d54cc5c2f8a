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

    [Fact]
    public async Task AConnectThatHangsTimesOut()
    {
        // A listener that never accepts, its queue filled: the kernel drops further SYNs, so a connect hangs.
        using var listener = _ns.Listen(backlog: 0);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var fillers = new List<System.Net.Sockets.Socket>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                var filler = _ns.Sockets(System.Net.Sockets.AddressFamily.InterNetwork);
                fillers.Add(filler);
                using var quick = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
                try
                {
                    await filler.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), quick.Token);
                }
                catch (OperationCanceledException)
                {
                    break; // the queue is full
                }
            }
            var check = await new TcpProber(_ns.Sockets).ProbeAsync("127.0.0.1", port, TimeSpan.FromSeconds(1), CancellationToken.None);
            Assert.Equal(ProbeCheck.Failure($"dial tcp 127.0.0.1:{port}: i/o timeout"), check);
        }
        finally
        {
            fillers.ForEach(f => f.Dispose());
        }
    }

    public void Dispose() => _ns.Dispose();
}
