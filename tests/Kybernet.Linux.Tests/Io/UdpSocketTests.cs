using System.Net;
using Kybernet.Linux.Io;

namespace Kybernet.Linux.Tests.Io;

public sealed class UdpSocketTests
{
    private static readonly IPAddress Loopback = IPAddress.Loopback;

    private static TestNamespace WithLoopback()
    {
        var ns = new TestNamespace();
        ns.Ip("link", "set", "lo", "up");
        return ns;
    }

    /// <summary>Datagrams as the receiver sees them: each message cut at its segment size.</summary>
    private static List<byte[]> ReceiveDatagrams(UdpSocket socket, UdpReceiveBatch batch, int expected, List<(int Length, int Segment)> messages)
    {
        var datagrams = new List<byte[]>();
        using var stop = new StopSignal();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (datagrams.Count < expected && DateTime.UtcNow < deadline)
        {
            int n = socket.Receive(batch);
            if (n == 0)
            {
                Assert.True(socket.WaitReadable(stop));
                continue;
            }
            for (int m = 0; m < n; m++)
            {
                messages.Add((batch.Length(m), batch.SegmentSize(m)));
                Assert.False(batch.Truncated(m));
                for (int at = 0; at < batch.Length(m); at += batch.SegmentSize(m))
                    datagrams.Add(batch.Buffer.Slice(batch.Offset(m) + at, Math.Min(batch.SegmentSize(m), batch.Length(m) - at)).ToArray());
            }
        }
        return datagrams;
    }

    private static (NativeBuffer Data, UdpSendBatch Batch) GsoTrainAndOneMore(UdpSocket to)
    {
        // Message 1: a GSO train of 4 x 1000 + 500 bytes from two slices each (head 10 + body 990, ...).
        // Message 2: one plain 77-byte datagram.
        var data = new NativeBuffer(8192);
        for (int i = 0; i < data.Length; i++)
            data.Span[i] = (byte)(i * 7);
        var batch = new UdpSendBatch(4, 16);
        uint address = (uint)to.LocalEndPoint.Address.GetAddressBytes().Aggregate(0L, (a, b) => a << 8 | b);
        batch.Begin(address, (ushort)to.LocalEndPoint.Port, segmentSize: 1000);
        batch.Add(data, 0, 2000);
        batch.Add(data, 2000, 2500);
        batch.End();
        batch.Begin(address, (ushort)to.LocalEndPoint.Port);
        batch.Add(data, 5000, 77);
        batch.End();
        return (data, batch);
    }

    [Fact]
    public void A_gso_train_goes_out_in_one_send_and_comes_back_coalesced_with_udp_gro()
    {
        using var ns = WithLoopback();
        using var receiver = UdpSocket.Open(ns, new IPEndPoint(Loopback, 0));
        using var sender = UdpSocket.Open(ns, new IPEndPoint(Loopback, 0));
        Assert.NotEqual(0, receiver.LocalEndPoint.Port);
        Assert.True(receiver.GroEnabled);
        var (data, batch) = GsoTrainAndOneMore(receiver);
        using var _ = data;
        using var __ = batch;
        using var rx = new UdpReceiveBatch(4);

        Assert.Equal(new UdpSendResult(2, 0, 0), sender.Send(batch));

        var messages = new List<(int, int)>();
        var datagrams = ReceiveDatagrams(receiver, rx, 6, messages);
        Assert.Equal([1000, 1000, 1000, 1000, 500, 77], datagrams.Select(d => d.Length));
        Assert.Equal(data.Slice(0, 4500).ToArray(), datagrams.Take(5).SelectMany(d => d).ToArray());
        Assert.Equal(data.Slice(5000, 77).ToArray(), datagrams[5]);
        Assert.Contains((4500, 1000), messages); // one buffer, five datagrams: the kernel kept the train whole
    }

    [Fact]
    public void Without_gro_the_receiver_gets_the_train_as_separate_datagrams()
    {
        using var ns = WithLoopback();
        using var receiver = UdpSocket.Open(ns, new IPEndPoint(Loopback, 0), gro: false);
        using var sender = UdpSocket.Open(ns, new IPEndPoint(Loopback, 0));
        Assert.False(receiver.GroEnabled);
        var (data, batch) = GsoTrainAndOneMore(receiver);
        using var _ = data;
        using var __ = batch;
        using var rx = new UdpReceiveBatch(8);

        sender.Send(batch);

        var messages = new List<(int Length, int Segment)>();
        var datagrams = ReceiveDatagrams(receiver, rx, 6, messages);
        Assert.Equal([1000, 1000, 1000, 1000, 500, 77], datagrams.Select(d => d.Length));
        Assert.All(messages, m => Assert.Equal(m.Length, m.Segment));
    }

    [Fact]
    public void Binding_a_taken_port_fails_naming_the_socket_and_namespace()
    {
        using var ns = WithLoopback();
        using var first = UdpSocket.Open(ns, new IPEndPoint(Loopback, 0));
        var e = Assert.Throws<LinuxException>(() => UdpSocket.Open(ns, first.LocalEndPoint));
        Assert.Equal($"bind udp socket {first.LocalEndPoint} in netns {ns.Name}: EADDRINUSE (Address already in use)", e.Message);
    }

    [Fact]
    public void A_stop_signal_wakes_a_thread_waiting_to_receive()
    {
        using var ns = WithLoopback();
        using var socket = UdpSocket.Open(ns, new IPEndPoint(Loopback, 0));
        using var stop = new StopSignal();
        bool? result = null;
        var waiter = new Thread(() => result = socket.WaitReadable(stop));
        waiter.Start();
        Thread.Sleep(50);
        Assert.Null(result);
        stop.Set();
        Assert.True(waiter.Join(TimeSpan.FromSeconds(5)));
        Assert.False(result);
        Assert.False(socket.WaitReadable(stop), "stays set");
    }

    [Fact]
    public void Sending_and_receiving_batches_allocates_nothing_once_warm()
    {
        using var ns = WithLoopback();
        using var receiver = UdpSocket.Open(ns, new IPEndPoint(Loopback, 0));
        using var sender = UdpSocket.Open(ns, new IPEndPoint(Loopback, 0));
        var (data, batch) = GsoTrainAndOneMore(receiver);
        using var _ = data;
        using var __ = batch;
        using var rx = new UdpReceiveBatch(4);
        using var stop = new StopSignal();
        Cycle();

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
            Cycle();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        void Cycle()
        {
            sender.Send(batch);
            int datagrams = 0;
            while (datagrams < 6)
            {
                int n = receiver.Receive(rx);
                if (n == 0)
                    receiver.WaitReadable(stop);
                for (int m = 0; m < n; m++)
                    datagrams += (rx.Length(m) + rx.SegmentSize(m) - 1) / rx.SegmentSize(m);
            }
        }
    }
}
