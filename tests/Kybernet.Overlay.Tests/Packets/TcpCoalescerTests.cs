using Kybernet.Linux.Tun;
using Kybernet.Overlay.Packets;
using static Kybernet.Overlay.Tests.Packets.PacketBuilder;

namespace Kybernet.Overlay.Tests.Packets;

public sealed class TcpCoalescerTests
{
    /// <summary>Collects what the coalescer writes, materialized: the virtio header and the packet's bytes.</summary>
    private sealed class Sink(Func<byte[]> arena) : ITunPacketSink
    {
        public List<(VirtioNetHeader Header, byte[] Packet)> Written { get; } = [];

        public void Write(VirtioNetHeader header, int headerOffset, int headerLength, ReadOnlySpan<PayloadSlice> payloads)
        {
            var bytes = new List<byte>(arena().AsSpan(headerOffset, headerLength).ToArray());
            foreach (var p in payloads)
                bytes.AddRange(arena().AsSpan(p.Offset, p.Length).ToArray());
            Written.Add((header, bytes.ToArray()));
        }
    }

    /// <summary>Puts the packets one after the other in an arena (odd gaps between them) and coalesces them in one batch.</summary>
    private static List<(VirtioNetHeader Header, byte[] Packet)> Coalesce(IEnumerable<byte[]> packets)
    {
        var list = packets.ToList();
        var arena = new byte[list.Sum(p => p.Length + 3)];
        var sink = new Sink(() => arena);
        var coalescer = new TcpCoalescer(sink);
        int at = 0;
        var places = new List<(int, int)>();
        foreach (var p in list)
        {
            p.CopyTo(arena, at);
            places.Add((at, p.Length));
            at += p.Length + 3;
        }
        foreach (var (offset, length) in places)
            coalescer.Add(arena, offset, length);
        coalescer.Flush(arena);
        return sink.Written;
    }

    /// <summary>What the kernel does with a NEEDS_CSUM GSO packet before checking it: finish the checksum.</summary>
    private static byte[] Finished(VirtioNetHeader header, byte[] packet)
    {
        var copy = packet.ToArray();
        if (header.NeedsChecksum)
            Assert.True(InternetChecksum.CompletePartial(copy, header.ChecksumStart, header.ChecksumOffset));
        return copy;
    }

    [Fact]
    public void Segments_of_one_super_packet_coalesce_back_into_it()
    {
        var random = new Random(6);
        for (int round = 0; round < 200; round++)
        {
            int mss = random.Next(500, 1461);
            var options = random.Next(2) == 0 ? [] : Timestamps((uint)random.Next(), (uint)random.Next());
            int maxPayload = Math.Min(65535 - 40 - options.Length, TcpCoalescer.MaxSegments * mss);
            var payload = Random(random, random.Next(mss + 1, maxPayload + 1));
            byte flags = random.Next(2) == 0 ? Ack : (byte)(Ack | Psh);
            var super = Tcp("10.244.1.2", "10.244.2.2", 40000, 5201, (uint)random.Next(), 99, flags, payload, options);

            var written = Coalesce(TcpSegmenterTests.SegmentAll(super, mss));

            var (header, packet) = Assert.Single(written);
            Assert.Equal(new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, VirtioNetHeader.GsoTcpV4,
                (ushort)(40 + options.Length), (ushort)mss, 20, 16), header);
            Assert.Equal(super, Finished(header, packet)); // the very packet, once the kernel finishes the checksum
            // ... and the kernel's GSO would cut it into the same segments again.
            Assert.Equal(TcpSegmenterTests.SegmentAll(super, mss), TcpSegmenterTests.SegmentAll(Finished(header, packet), mss));
        }
    }

    [Fact]
    public void Interleaved_flows_each_coalesce_and_other_protocols_pass_through_untouched()
    {
        var a = Tcp("10.244.1.2", "10.244.2.2", 40000, 5201, 1000, 1, Ack, Random(new Random(7), 5000));
        var b = Tcp("10.244.1.3", "10.244.2.2", 40001, 5201, 9000, 1, Ack, Random(new Random(8), 3000));
        var udp = Udp("10.244.1.2", "10.244.2.2", 53, 53, new byte[50]);
        var sa = TcpSegmenterTests.SegmentAll(a, 1000);
        var sb = TcpSegmenterTests.SegmentAll(b, 1000);
        var mixed = new List<byte[]> { sa[0], sb[0], sa[1], udp, sb[1], sa[2], sa[3], sb[2], sa[4] };

        var written = Coalesce(mixed);

        Assert.Equal(3, written.Count);
        Assert.Equal(VirtioNetHeader.None, written[0].Header); // written at once: nothing pending for it to follow
        Assert.Equal(udp, written[0].Packet);
        var flows = written.Skip(1).Select(w => Finished(w.Header, w.Packet)).ToList();
        Assert.Contains(a, flows);
        Assert.Contains(b, flows);
    }

    [Fact]
    public void A_gap_a_different_ack_or_a_control_flag_ends_the_batch_and_order_is_kept()
    {
        var payload = Random(new Random(9), 6000);
        var s = TcpSegmenterTests.SegmentAll(Tcp("10.244.1.2", "10.244.2.2", 40000, 5201, 0, 1, Ack, payload), 1000);
        var otherAck = Tcp("10.244.1.2", "10.244.2.2", 40000, 5201, 3000, 2, Ack, payload.AsSpan(3000, 1000));
        var fin = Tcp("10.244.1.2", "10.244.2.2", 40000, 5201, 4000, 2, Ack | Fin, payload.AsSpan(4000, 1000));
        var pureAck = Tcp("10.244.1.2", "10.244.2.2", 40000, 5201, 5000, 3, Ack, []);

        // 0,1 then a gap (2 missing) then 4 after a different-ack 3, a FIN, a pure ACK, then 2 late.
        var written = Coalesce([s[0], s[1], otherAck, fin, pureAck, s[2]]);

        var seqs = written.Select(w => (Seq(w.Packet), Payload(w.Packet).Length, w.Header.GsoType)).ToList();
        Assert.Equal([(0u, 2000, VirtioNetHeader.GsoTcpV4), (3000u, 1000, VirtioNetHeader.GsoNone), (4000u, 1000, VirtioNetHeader.GsoNone),
            (5000u, 0, VirtioNetHeader.GsoNone), (2000u, 1000, VirtioNetHeader.GsoNone)], seqs);
        Assert.All(written.Skip(1), w => Assert.True(ChecksumsValid(w.Packet), "plain packets go as they came"));
    }

    [Fact]
    public void A_push_closes_the_batch_and_a_short_segment_ends_it()
    {
        var payload = Random(new Random(10), 5000);
        var s = TcpSegmenterTests.SegmentAll(Tcp("10.244.1.2", "10.244.2.2", 1, 2, 0, 1, Ack, payload), 1000);
        var pushed = Tcp("10.244.1.2", "10.244.2.2", 1, 2, 1000, 1, Ack | Psh, payload.AsSpan(1000, 1000));
        var shortOne = Tcp("10.244.1.2", "10.244.2.2", 1, 2, 2000, 1, Ack, payload.AsSpan(2000, 500));
        var after = Tcp("10.244.1.2", "10.244.2.2", 1, 2, 2500, 1, Ack, payload.AsSpan(2500, 500));

        var written = Coalesce([s[0], pushed, shortOne, after]);

        Assert.Equal(2, written.Count);
        Assert.Equal(Ack | Psh, Flags(written[0].Packet)); // the super-packet carries the last segment's PSH
        Assert.Equal(2000, Payload(written[0].Packet).Length);
        Assert.Equal((ushort)1000, written[0].Header.GsoSize);
        Assert.Equal(1000, Payload(written[1].Packet).Length); // a new batch: 500 + 500, its segment size the short one's
        Assert.Equal((ushort)500, written[1].Header.GsoSize);
    }

    [Fact]
    public void At_most_max_segments_go_into_one_super_packet()
    {
        var payload = Random(new Random(11), 100 * (TcpCoalescer.MaxSegments + 6));
        var s = TcpSegmenterTests.SegmentAll(Tcp("10.244.1.2", "10.244.2.2", 1, 2, 0, 1, Ack, payload), 100);
        var written = Coalesce(s);
        Assert.Equal([100 * TcpCoalescer.MaxSegments, 600], written.Select(w => Payload(w.Packet).Length));
        Assert.Equal(payload, written.SelectMany(w => Payload(w.Packet).ToArray()).ToArray());
    }

    [Fact]
    public void More_flows_than_slots_all_arrive()
    {
        var packets = new List<byte[]>();
        var expected = new List<byte[]>();
        for (int f = 0; f < TcpCoalescer.MaxFlows + 3; f++)
        {
            var super = Tcp("10.244.1.2", "10.244.2.2", (ushort)(1000 + f), 2, 0, 1, Ack, Random(new Random(f), 2000));
            expected.Add(super);
            packets.AddRange(TcpSegmenterTests.SegmentAll(super, 1000));
        }
        var written = Coalesce(packets);
        Assert.Equal(expected.Count, written.Count);
        Assert.All(expected, e => Assert.Contains(e, written.Select(w => Finished(w.Header, w.Packet))));
    }
}
