using System.Net;
using System.Net.Sockets;
using Kybernet.Linux;
using Kybernet.Overlay.Backends;

namespace Kybernet.Overlay.Tests.Backends;

/// <summary>The udp backend on two real nodes (namespaces) joined by an L2 underlay: pods talk through flannel0 and the proxy.</summary>
public sealed class UdpBackendTests : IDisposable
{
    internal static readonly NetworkConfig Config = new()
    {
        Network = IPNetwork.Parse("10.244.0.0/16"),
        BackendType = "udp",
        Backend = new() { ["Type"] = "udp" },
    };

    private readonly TwoNodeLab _lab = new();

    public void Dispose() => _lab.Dispose();

    /// <summary>udp on both nodes, each knowing the other's lease.</summary>
    internal static async Task<(UdpNetwork One, UdpNetwork Two)> Both(TwoNodeLab lab)
    {
        var (one, two) = await lab.RegisterBoth(e => new UdpBackend(e), Config);
        one.Apply([two.Lease]);
        two.Apply([one.Lease]);
        return ((UdpNetwork)one, (UdpNetwork)two);
    }

    [Fact]
    public async Task Pods_on_two_nodes_ping_each_other_through_flannel0_up_to_the_mtu()
    {
        var (one, _) = await Both(_lab);

        Assert.True(_lab.Node1.Ping(_lab.Node2.PodIp), "pod1 -> pod2");
        Assert.True(_lab.Node2.Ping(_lab.Node1.PodIp), "pod2 -> pod1");
        Assert.Equal(1472, one.Mtu);
        Assert.True(_lab.Node1.Ping(_lab.Node2.PodIp, "-M", "do", "-s", "1444"), "1472-byte packet with DF set, pod1 -> pod2");
        Assert.False(_lab.Node1.Ping(_lab.Node2.PodIp, "-M", "do", "-s", "1445"), "one byte over the pod MTU with DF set");
        Assert.True(one.Counters.Sent > 0 && one.Counters.Received > 0);
        Assert.Equal("1", Sysctl.Get(_lab.Node1.Namespace, "net.ipv4.ip_forward"));
    }

    [Fact]
    public async Task The_device_the_route_and_the_socket_are_flannels()
    {
        var (one, _) = await Both(_lab);

        Assert.Equal("{}", ((INetwork)one).BackendData.ToJsonString());
        Assert.Equal("flannel0", one.DeviceName);
        var link = _lab.Node1.Ip("-d", "link", "show", "flannel0");
        Assert.Contains("mtu 1472 ", link);
        Assert.Contains("state UNKNOWN", link);
        Assert.Contains("tun type tun pi off", link);
        Assert.Contains("inet 10.244.1.0/32 ", _lab.Node1.Ip("-4", "addr", "show", "flannel0"));
        Assert.Equal("10.244.0.0/16", _lab.Node1.Ip("route", "show", "dev", "flannel0"));
        Assert.Contains("10.244.1.0/24 dev cni0", _lab.Node1.Ip("route"));
        Assert.Equal(new IPEndPoint(_lab.Node1.PublicIp, 8285), one.LocalEndPoint);
        Assert.Contains("192.168.200.11:8285", Tool.Run("ip", ["netns", "exec", _lab.Node1.Namespace.Name, "ss", "-Hnul"]));
    }

    [Fact]
    public async Task A_tcp_exchange_between_pods_crosses_the_tunnel_intact()
    {
        await Both(_lab);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var server = new IPEndPoint(_lab.Node2.PodIp, 5000);
        using var listener = _lab.Node2.Pod.Namespace.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        listener.Bind(server);
        listener.Listen();
        var echo = Task.Run(async () =>
        {
            using var peer = await listener.AcceptAsync(timeout.Token);
            var buffer = new byte[16384];
            int n;
            while ((n = await peer.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
                await peer.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, timeout.Token);
            peer.Shutdown(SocketShutdown.Send);
        });

        using var client = _lab.Node1.Pod.Namespace.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        await client.ConnectAsync(server, timeout.Token);
        var payload = new byte[300_000];
        new Random(42).NextBytes(payload);
        var sending = Task.Run(async () =>
        {
            await client.SendAsync(payload, SocketFlags.None, timeout.Token);
            client.Shutdown(SocketShutdown.Send);
        });
        var received = new MemoryStream();
        var chunk = new byte[16384];
        int got;
        while ((got = await client.ReceiveAsync(chunk, SocketFlags.None, timeout.Token)) > 0)
            received.Write(chunk, 0, got);
        await sending;
        await echo;
        Assert.Equal(payload, received.ToArray());
        Assert.Equal(_lab.Node1.PodIp, ((IPEndPoint)client.LocalEndPoint!).Address);
    }

    /// <summary>
    /// Megabytes of TCP one way: the sender's TUN hands over TSO super-packets that the proxy segments, the receiver
    /// coalesces them back into GSO writes; every byte arrives, in order (checked by hash).
    /// </summary>
    [Fact]
    public async Task Megabytes_of_tcp_arrive_intact_through_segmentation_and_coalescing()
    {
        var (one, two) = await Both(_lab);
        const int Total = 16 << 20;
        var server = new IPEndPoint(_lab.Node2.PodIp, 5001);
        using var listener = _lab.Node2.Pod.Namespace.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        listener.Bind(server);
        listener.Listen();
        using var client = _lab.Node1.Pod.Namespace.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        client.ReceiveTimeout = client.SendTimeout = 30_000;
        client.Connect(server);
        using var peer = listener.Accept();
        peer.ReceiveTimeout = 30_000;

        var payload = new byte[Total];
        new Random(7).NextBytes(payload);
        var sending = Task.Run(() =>
        {
            for (int sent = 0; sent < Total;)
                sent += client.Send(payload.AsSpan(sent, Math.Min(1 << 20, Total - sent)));
            client.Shutdown(SocketShutdown.Send);
        });
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        long received = 0;
        int n;
        while ((n = peer.Receive(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, n);
            received += n;
        }
        await sending;

        Assert.Equal(Total, received);
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(payload), hash.GetHashAndReset());
        Assert.Null(one.Fault);
        Assert.Null(two.Fault);
        Assert.True(one.Counters.SegmentedSuperPackets > 0, $"node 1 segmented no TSO super-packet: {one.Counters}");
        Assert.True(two.Counters.CoalescedSuperPackets > 0, $"node 2 coalesced nothing: {two.Counters}");
        Assert.True(two.Counters.TunWrites < two.Counters.Received, $"no fewer TUN writes than packets: {two.Counters}");
    }

    [Fact]
    public async Task Removing_a_lease_stops_traffic_and_re_adding_restores_it()
    {
        var (one, two) = await Both(_lab);
        Assert.True(_lab.Node1.Ping(_lab.Node2.PodIp));

        one.Apply([]);
        Assert.Equal(0, one.Table.Count);
        long dropped = one.Counters.DroppedUnknownSubnet;
        Assert.False(_lab.Node1.Ping(_lab.Node2.PodIp));
        Assert.True(one.Counters.DroppedUnknownSubnet > dropped, "packets for a subnet no lease holds are dropped and counted");

        one.Apply([two.Lease]);
        Assert.True(_lab.Node1.Ping(_lab.Node2.PodIp));
    }

    [Fact]
    public async Task Apply_twice_changes_nothing()
    {
        var (one, two) = await Both(_lab);
        var table = one.Table;
        var before = _lab.Node1.Snapshot();

        one.Apply([two.Lease, one.Lease]);
        Assert.Same(table, one.Table);
        Assert.Equal(before, _lab.Node1.Snapshot());
        Assert.Equal(new IPEndPoint(_lab.Node2.PublicIp, 8285), one.Table.Find(_lab.Node2.PodIp));
        Assert.Null(one.Table.Find(IPAddress.Parse("10.244.9.9")));
    }

    [Fact]
    public async Task Unusable_leases_are_reported_and_the_others_applied()
    {
        var (one, two) = await Both(_lab);
        var e = Assert.Throws<BackendException>(() => one.Apply([two.Lease, Leases.HostGw("10.244.3.0/24", "192.168.200.13")]));
        Assert.Equal("udp: apply leases on flannel0: lease 10.244.3.0/24 (node 192.168.200.13): runs backend \"host-gw\", this node runs \"udp\"", e.Message);
        Assert.Equal(1, one.Table.Count);
        Assert.True(_lab.Node1.Ping(_lab.Node2.PodIp));
    }

    [Fact]
    public async Task Dispose_stops_the_proxy_and_leaves_no_flannel0_and_registering_again_works()
    {
        var (one, two) = await Both(_lab);
        one.Dispose();
        Assert.DoesNotContain("flannel0", _lab.Node1.Ip("link"));
        Assert.DoesNotContain("10.244.0.0/16", _lab.Node1.Ip("route"));
        Assert.DoesNotContain(":8285", Tool.Run("ip", ["netns", "exec", _lab.Node1.Namespace.Name, "ss", "-Hnul"]));
        Assert.False(_lab.Node1.Ping(_lab.Node2.PodIp));

        var again = await _lab.Node1.Register(new UdpBackend(_lab.Node1.External), Config);
        again.Apply([two.Lease]);
        Assert.True(_lab.Node1.Ping(_lab.Node2.PodIp));
    }

    [Fact]
    public void Options_default_to_flannels_port_and_reject_bad_ones()
    {
        Assert.Equal(8285, UdpOptions.From(new()).Port);
        Assert.Equal(9000, UdpOptions.From(new() { ["Port"] = 9000 }).Port);
        Assert.Equal("udp backend config: Port must be 1-65535, not 0", Assert.Throws<BackendException>(() => UdpOptions.From(new() { ["Port"] = 0 })).Message);
    }
}
