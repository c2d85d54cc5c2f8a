using System.Net;
using System.Net.Sockets;

namespace Kybernet.Overlay.Tests.Backends;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    /// <summary>Tests that measure the whole process (allocations) and so must run with nothing else.</summary>
    public const string Name = "alone";
}

/// <summary>
/// The udp data path's steady state allocates nothing: thousands of datagrams echoed pod to pod through both proxies
/// cost the whole process (every thread, the test's own sockets included) less than a few bytes per packet.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class UdpAllocationTests : IDisposable
{
    private readonly TwoNodeLab _lab = new();

    public void Dispose() => _lab.Dispose();

    [Fact]
    public async Task The_steady_path_allocates_nothing_per_packet()
    {
        var (one, two) = await UdpBackendTests.Both(_lab);
        var serverEndPoint = new IPEndPoint(_lab.Node2.PodIp, 7000);
        using var server = _lab.Node2.Pod.Namespace.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
        server.Bind(serverEndPoint);
        using var client = _lab.Node1.Pod.Namespace.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
        client.Bind(new IPEndPoint(_lab.Node1.PodIp, 0));
        client.ReceiveTimeout = 2000;
        var echo = new Thread(() => Echo(server)) { IsBackground = true, Name = "udp echo" };
        echo.Start();

        var to = serverEndPoint.Serialize();
        var buffer = new byte[1000];
        int RoundTrips(int count)
        {
            int answered = 0;
            for (int i = 0; i < count; i++)
            {
                client.SendTo(buffer, SocketFlags.None, to);
                try
                {
                    if (client.Receive(buffer.AsSpan(), SocketFlags.None) == buffer.Length)
                        answered++;
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
                {
                }
            }
            return answered;
        }

        RoundTrips(2000); // warm up: JIT, tiering, pools
        // Several windows, the quietest counts: JIT tiering and the runner allocate now and then, a per-packet
        // allocation would show in every window.
        const int Count = 5000;
        long allocated = long.MaxValue;
        int answered = 0;
        long packets = 0;
        for (int window = 0; window < 3; window++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            long sentBefore = one.Counters.Sent + two.Counters.Sent;
            int windowAnswered = RoundTrips(Count);
            long windowAllocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            if (windowAllocated < allocated)
                (allocated, answered, packets) = (windowAllocated, windowAnswered, one.Counters.Sent + two.Counters.Sent - sentBefore);
        }

        server.Close();
        echo.Join(TimeSpan.FromSeconds(5));
        Assert.True(answered >= Count * 9 / 10, $"only {answered} of {Count} round trips answered");
        Assert.True(packets >= 2L * answered, $"{packets} packets through the proxies for {answered} round trips");
        // One allocation per packet would be at least 24 bytes x 4 proxy passes per round trip; even one pass allocating
        // would cost 24 bytes a round trip. The bound (16 a round trip) leaves room for the runtime's own background work.
        Assert.True(allocated < Count * 16L, $"{allocated} bytes allocated for {packets} tunnelled packets");
    }

    /// <summary>
    /// The offload path too: TCP streamed pod to pod makes the sender segment TSO super-packets and send GSO trains,
    /// the receiver split GRO buffers and write coalesced super-packets. Blocking socket calls on both ends (they
    /// allocate nothing), several windows, the quietest counts; one allocation per data path operation would be at
    /// least 24 bytes per segmented super-packet or TUN write.
    /// </summary>
    [Fact]
    public async Task Tcp_through_segmentation_and_coalescing_allocates_nothing_per_packet()
    {
        var (one, two) = await UdpBackendTests.Both(_lab);
        var serverEndPoint = new IPEndPoint(_lab.Node2.PodIp, 7001);
        using var listener = _lab.Node2.Pod.Namespace.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        listener.Bind(serverEndPoint);
        listener.Listen();
        using var client = _lab.Node1.Pod.Namespace.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        client.SendTimeout = 30_000;
        client.Connect(serverEndPoint);
        using var server = listener.Accept();
        server.ReceiveTimeout = 30_000;
        var drain = new Thread(() =>
        {
            var sink = new byte[1 << 16];
            try
            {
                while (server.Receive(sink) > 0) { }
            }
            catch (SocketException)
            {
            }
        })
        { IsBackground = true, Name = "tcp drain" };
        drain.Start();

        var chunk = new byte[1 << 20];
        new Random(3).NextBytes(chunk);
        void Stream(int megabytes)
        {
            for (int i = 0; i < megabytes; i++)
                for (int sent = 0; sent < chunk.Length;)
                    sent += client.Send(chunk.AsSpan(sent));
        }
        long Operations() => one.Counters.SegmentedSuperPackets + two.Counters.SegmentedSuperPackets + one.Counters.TunWrites + two.Counters.TunWrites;

        Stream(16); // warm up
        long allocated = long.MaxValue, operations = 0;
        for (int window = 0; window < 3; window++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            long opsBefore = Operations();
            Stream(16);
            long windowAllocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            if (windowAllocated < allocated)
                (allocated, operations) = (windowAllocated, Operations() - opsBefore);
        }
        client.Shutdown(SocketShutdown.Send);
        drain.Join(TimeSpan.FromSeconds(10));

        Assert.True(one.Counters.SegmentedSuperPackets > 0 && two.Counters.CoalescedSuperPackets > 0, $"offloads unused: {one.Counters} / {two.Counters}");
        Assert.True(operations > 100, $"only {operations} data path operations");
        Assert.True(allocated < operations, $"{allocated} bytes allocated for {operations} segmentations and TUN writes");
    }

    private static void Echo(Socket server)
    {
        var buffer = new byte[2048];
        var from = new SocketAddress(AddressFamily.InterNetwork);
        try
        {
            while (true)
            {
                int n = server.ReceiveFrom(buffer.AsSpan(), SocketFlags.None, from);
                server.SendTo(buffer.AsSpan(0, n), SocketFlags.None, from);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }
}
