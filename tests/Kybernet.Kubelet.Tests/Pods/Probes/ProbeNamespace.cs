using System.Net;
using System.Net.Sockets;
using Kybernet.Kubelet.Pods.Probes;
using Kybernet.Linux.Namespaces;
using Kybernet.Linux.Netlink;

namespace Kybernet.Kubelet.Tests.Pods.Probes;

/// <summary>
/// A throwaway network namespace ("kyt" + run tag + "-pr" + counter) with lo up, for probes against real sockets
/// that never leave it. Deleted on dispose, even when the test failed.
/// </summary>
public sealed class ProbeNamespace : IDisposable
{
    private static readonly string RunTag = Environment.ProcessId.ToString("x");
    private static int _counter;

    public ProbeNamespace()
    {
        Name = $"kyt{RunTag}-pr{Interlocked.Increment(ref _counter)}";
        Namespace = NetworkNamespace.Create(Name);
        try
        {
            using var netlink = RtNetlink.Open(Namespace);
            netlink.Links.SetUp("lo");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Name { get; }
    public NetworkNamespace Namespace { get; }

    /// <summary>Probe sockets opened inside this namespace (as the kubelet's are in its own).</summary>
    public ProbeSocketFactory Sockets => family => Namespace.Run(() => new Socket(family, SocketType.Stream, ProtocolType.Tcp));

    /// <summary>A listening TCP socket on 127.0.0.1 (any free port) inside the namespace.</summary>
    public Socket Listen(string address = "127.0.0.1", int backlog = 16)
    {
        var socket = Namespace.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        socket.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
        socket.Listen(backlog);
        return socket;
    }

    /// <summary>A port nobody listens on: bound then closed.</summary>
    public int ClosedPort()
    {
        using var socket = Listen();
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    public void Dispose()
    {
        Namespace.Dispose();
        NetworkNamespace.Delete(Name);
    }
}
