using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Kybernet.Linux;
using Kybernet.Linux.Netlink;
using Kybernet.Linux.Nftables;

namespace Kybernet.Cni.Tests.Plugins.Portmap;

/// <summary>
/// A hand-built node for portmap tests, all in throwaway namespaces: a "node" with bridge cni0
/// (10.244.1.1/24) and the pod behind it (eth0 10.244.1.2/24), plus a "client" on its own link and
/// subnet (node 192.168.77.1, client 192.168.77.2) with routes both ways. The pod runs a TCP server
/// on port 80 that answers with the address it sees the caller at, and a UDP echo on port 53.
/// </summary>
internal sealed class PortmapNetwork : IDisposable
{
    public const string NodeIp = "192.168.77.1";
    public const string PodIp = "10.244.1.2";
    public const string BridgeIp = "10.244.1.1";
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    private readonly CancellationTokenSource _stop = new();
    private readonly TcpListener _tcp;
    private readonly UdpClient _udp;

    public PortmapNetwork()
    {
        try
        {
            using (var nl = RtNetlink.Open(Node))
            {
                nl.Links.SetUp("lo");
                nl.Links.CreateBridge("cni0");
                nl.Addresses.Add("cni0", InterfaceAddress.Parse($"{BridgeIp}/24"));
                nl.Links.SetUp("cni0");
                nl.Links.CreateVeth(new VethSpec("vethpod", "eth0") { PeerNamespace = Pod });
                nl.Links.SetMaster("vethpod", "cni0");
                // As the bridge plugin's hairpinMode does: with br_netfilter loaded, the hairpin DNAT
                // happens on the bridge and the frame must go back out of the port it came in by.
                nl.Links.SetHairpin("vethpod", true);
                nl.Links.SetUp("vethpod");
                nl.Links.CreateVeth(new VethSpec("vethclient", "eth0") { PeerNamespace = Client });
                nl.Addresses.Add("vethclient", InterfaceAddress.Parse($"{NodeIp}/24"));
                nl.Links.SetUp("vethclient");
            }
            Sysctl.Set(Node, "net.ipv4.ip_forward", "1");
            Configure(Pod, $"{PodIp}/24", BridgeIp);
            Configure(Client, "192.168.77.2/24", NodeIp);

            _tcp = Pod.Namespace.Run(() => { var l = new TcpListener(IPAddress.Any, 80); l.Start(); return l; });
            _udp = Pod.Namespace.Run(() => new UdpClient(new IPEndPoint(IPAddress.Any, 53)));
            _ = ServeTcp();
            _ = ServeUdp();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public TestNamespace Node { get; } = new();
    public TestNamespace Pod { get; } = new();
    public TestNamespace Client { get; } = new();
    public PluginHost Host { get; } = new();

    public string PodNetns => Kybernet.Linux.Namespaces.NetworkNamespace.PathOf(Pod.Name);

    public NftCli NodeNft => new(Node);

    public PluginOutcome Invoke(string command, JsonObject config, string containerId = "pod1", string ifName = "eth0") =>
        Host.Invoke(Node, "kybernet-portmap", command, config, containerId, PodNetns, ifName);

    /// <summary>Connects from inside <paramref name="from"/> to the node's host port and returns what the pod's server said (the caller's address as the pod saw it).</summary>
    public static string TcpCall(TestNamespace from, string address, int port)
    {
        using var socket = from.Namespace.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        using var timeout = new CancellationTokenSource(Timeout);
        socket.ConnectAsync(IPAddress.Parse(address), port, timeout.Token).AsTask().GetAwaiter().GetResult();
        var buffer = new byte[256];
        var n = socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token).AsTask().GetAwaiter().GetResult();
        return Encoding.ASCII.GetString(buffer, 0, n);
    }

    /// <summary>Sends a datagram from inside <paramref name="from"/> and returns the echo and where it came from.</summary>
    public static (string Text, IPEndPoint From) UdpCall(TestNamespace from, string address, int port, string text)
    {
        using var udp = from.Namespace.Run(() => new UdpClient(AddressFamily.InterNetwork));
        using var timeout = new CancellationTokenSource(Timeout);
        udp.Send(Encoding.ASCII.GetBytes(text), new IPEndPoint(IPAddress.Parse(address), port));
        var reply = udp.ReceiveAsync(timeout.Token).AsTask().GetAwaiter().GetResult();
        return (Encoding.ASCII.GetString(reply.Buffer), reply.RemoteEndPoint);
    }

    /// <summary>Elements of the node's portmap table whose comment names the container.</summary>
    public IReadOnlyList<NftElementState> ElementsOf(string containerId)
    {
        var table = NodeNft.ListTable(NftFamily.Ip, "kybernet-portmap");
        if (table is null)
            return [];
        return table.Maps.Concat(table.Sets).SelectMany(s => s.Elements)
            .Where(e => e.Comment?.StartsWith(containerId + "/", StringComparison.Ordinal) == true).ToList();
    }

    private static void Configure(TestNamespace ns, string address, string gateway)
    {
        using var nl = RtNetlink.Open(ns);
        nl.Links.SetUp("lo");
        nl.Addresses.Add("eth0", InterfaceAddress.Parse(address));
        nl.Links.SetUp("eth0");
        nl.Routes.Add(Route.Default(IPAddress.Parse(gateway)));
    }

    private async Task ServeTcp()
    {
        try
        {
            while (true)
            {
                using var connection = await _tcp.AcceptSocketAsync(_stop.Token);
                var remote = (IPEndPoint)connection.RemoteEndPoint!;
                await connection.SendAsync(Encoding.ASCII.GetBytes(remote.Address.ToString()), SocketFlags.None, _stop.Token);
                connection.Shutdown(SocketShutdown.Both);
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested) { }
    }

    private async Task ServeUdp()
    {
        try
        {
            while (true)
            {
                var request = await _udp.ReceiveAsync(_stop.Token);
                await _udp.SendAsync(request.Buffer, request.RemoteEndPoint, _stop.Token);
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested) { }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _tcp?.Stop();
        _udp?.Dispose();
        Host.Dispose();
        Client.Dispose();
        Pod.Dispose();
        Node.Dispose();
        _stop.Dispose();
    }
}
