using System.Buffers.Binary;
using Kybernet.Overlay.Packets;
using static Kybernet.Overlay.Tests.Packets.PacketBuilder;

namespace Kybernet.Overlay.Tests.Packets;

public sealed class TcpSegmenterTests
{
    private const int Stride = 128;

    /// <summary>Segments and materializes each segment as its own packet.</summary>
    internal static List<byte[]> SegmentAll(byte[] packet, int mss)
    {
        var headers = new byte[2048 * Stride];
        var slices = new SegmentSlice[2048];
        int count = TcpSegmenter.Segment(packet, mss, headers, Stride, slices);
        Assert.True(count > 0, "segmentable");
        Assert.Equal(count, TcpSegmenter.Count(packet, mss));
        var result = new List<byte[]>();
        for (int i = 0; i < count; i++)
        {
            var s = slices[i];
            result.Add([.. headers.AsSpan(s.HeaderOffset, s.HeaderLength), .. packet.AsSpan(s.PayloadOffset, s.PayloadLength)]);
        }
        return result;
    }

    [Fact]
    public void A_super_packet_becomes_mss_sized_segments_like_the_kernels_tso()
    {
        var payload = Random(new Random(4), 4000);
        var ts = Timestamps(1000, 2000);
        var super = Tcp("10.244.1.2", "10.244.2.2", 40000, 5201, seq: 0xffff_fc00, ack: 555, Ack | Psh | Fin | Cwr, payload, ts, id: 0xfffe);
        // The kernel leaves the TCP checksum partial (the pseudo-header sum); the segmenter must not care.
        BinaryPrimitives.WriteUInt16BigEndian(super.AsSpan(36), 0xabcd);

        var segments = SegmentAll(super, 1400);

        Assert.Equal([1452, 1452, 1252], segments.Select(s => s.Length));
        Assert.Equal([0xffff_fc00u, unchecked(0xffff_fc00u + 1400), unchecked(0xffff_fc00u + 2800)], segments.Select(s => Seq(s))); // wraps
        Assert.Equal([(ushort)0xfffe, (ushort)0xffff, (ushort)0], segments.Select(s => BinaryPrimitives.ReadUInt16BigEndian(s.AsSpan(4))));
        Assert.Equal([(byte)(Ack | Cwr), Ack, (byte)(Ack | Psh | Fin)], segments.Select(s => Flags(s)));
        Assert.All(segments, s => Assert.True(ChecksumsValid(s), "IP and TCP checksums by the reference"));
        Assert.All(segments, s => Assert.Equal(ts, s.AsSpan(40, 12).ToArray()));
        Assert.Equal(payload, segments.SelectMany(s => Payload(s).ToArray()).ToArray());
        Assert.All(segments, s => Assert.Equal(s.Length, BinaryPrimitives.ReadUInt16BigEndian(s.AsSpan(2))));
    }

    [Fact]
    public void A_packet_no_longer_than_the_mss_is_one_segment_with_its_checksum_finished()
    {
        var packet = Tcp("10.244.1.2", "10.244.2.2", 1, 2, 10, 20, Ack, new byte[] { 1, 2, 3 });
        var expected = packet.ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(36), 0);
        var segments = SegmentAll(packet, 1400);
        Assert.Single(segments);
        Assert.Equal(expected, segments[0]);
    }

    [Fact]
    public void Random_super_packets_segment_into_valid_packets_carrying_the_payload_in_order()
    {
        var random = new Random(5);
        for (int round = 0; round < 200; round++)
        {
            int mss = random.Next(500, 1461);
            var options = random.Next(2) == 0 ? [] : Timestamps((uint)random.Next(), (uint)random.Next());
            var payload = Random(random, random.Next(1, 65535 - 40 - options.Length));
            var super = Tcp("10.244.1.2", "10.244.2.2", 40000, 5201, (uint)random.Next(), 7, Ack, payload, options);
            var segments = SegmentAll(super, mss);
            Assert.Equal((payload.Length + mss - 1) / mss, segments.Count);
            Assert.All(segments.SkipLast(1), s => Assert.Equal(mss, Payload(s).Length));
            Assert.All(segments, s => Assert.True(ChecksumsValid(s)));
            Assert.Equal(payload, segments.SelectMany(s => Payload(s).ToArray()).ToArray());
        }
    }

    [Fact]
    public void Not_a_whole_ipv4_tcp_packet_or_not_enough_room_is_refused()
    {
        var headers = new byte[64 * Stride];
        var slices = new SegmentSlice[64];
        var udp = Udp("10.244.1.2", "10.244.2.2", 1, 2, new byte[100]);
        Assert.Equal(-1, TcpSegmenter.Segment(udp, 1400, headers, Stride, slices));
        var tcp = Tcp("10.244.1.2", "10.244.2.2", 1, 2, 0, 0, Ack, new byte[3000]);
        Assert.Equal(-1, TcpSegmenter.Segment(tcp.AsSpan(0, 2000), 1400, headers, Stride, slices)); // total length lies
        Assert.Equal(-1, TcpSegmenter.Segment(tcp, 1400, headers, Stride, slices[..2])); // 3 segments, room for 2
        Assert.Equal(-1, TcpSegmenter.Segment(tcp, 0, headers, Stride, slices));
        var fragment = tcp.ToArray();
        fragment[6] |= 0x20; // MF
        Assert.Equal(-1, TcpSegmenter.Segment(fragment, 1400, headers, Stride, slices));
        Assert.Equal(3, TcpSegmenter.Segment(tcp, 1400, headers, Stride, slices));
    }
}
