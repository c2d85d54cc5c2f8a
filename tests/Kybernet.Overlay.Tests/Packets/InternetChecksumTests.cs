using System.Buffers.Binary;
using Kybernet.Overlay.Packets;
using static Kybernet.Overlay.Tests.Packets.PacketBuilder;

namespace Kybernet.Overlay.Tests.Packets;

public sealed class InternetChecksumTests
{
    [Fact]
    public void The_ipv4_header_example_sums_to_its_known_checksum()
    {
        // A classic worked example: 45 00 00 73 00 00 40 00 40 11 [b8 61] c0 a8 00 01 c0 a8 00 c7.
        byte[] header = Convert.FromHexString("450000730000400040110000c0a80001c0a800c7");
        Assert.Equal(0xb861, InternetChecksum.Checksum(InternetChecksum.Add(0, header)));
        InternetChecksum.UpdateIpv4Header(header, 20);
        Assert.Equal("b861", Convert.ToHexString(header.AsSpan(10, 2)).ToLowerInvariant());
        Assert.True(InternetChecksum.Verify(InternetChecksum.Add(0, header)));
    }

    [Fact]
    public void Every_length_and_content_matches_the_reference()
    {
        var random = new Random(1);
        int[] lengths = [.. Enumerable.Range(0, 300), 1023, 1024, 1025, 1471, 1472, 4095, 9000, 65535, 65536];
        foreach (int length in lengths)
        {
            var data = Random(random, length);
            Assert.Equal(ReferenceSum(data), InternetChecksum.Fold(InternetChecksum.Add(0, data)));
        }
        // All ones and all zeros: the carries and the +0/-0 corner.
        Assert.Equal(ReferenceSum(Enumerable.Repeat((byte)0xff, 65535).ToArray()),
            InternetChecksum.Fold(InternetChecksum.Add(0, Enumerable.Repeat((byte)0xff, 65535).ToArray())));
        Assert.Equal(0, InternetChecksum.Fold(InternetChecksum.Add(0, new byte[4096])));
    }

    [Fact]
    public void A_sum_added_in_pieces_at_even_offsets_equals_the_whole()
    {
        var random = new Random(2);
        for (int round = 0; round < 500; round++)
        {
            var data = Random(random, random.Next(0, 5000));
            ulong sum = 0;
            int at = 0;
            while (at < data.Length)
            {
                int piece = Math.Min(data.Length - at, 2 * random.Next(1, 800)); // even, but the last may be odd
                sum = InternetChecksum.Add(sum, data.AsSpan(at, piece));
                at += piece;
            }
            Assert.Equal(ReferenceSum(data), InternetChecksum.Fold(sum));
        }
    }

    [Fact]
    public void Words_and_the_pseudo_header_match_the_reference()
    {
        var packet = Tcp("10.244.1.2", "10.244.2.2", 40000, 5201, 1, 2, Ack, new byte[100]);
        Assert.Equal(ReferencePseudo(packet, 6, 120), InternetChecksum.Fold(InternetChecksum.PseudoHeader(packet, 6, 120)));
        Assert.Equal(0x1234, InternetChecksum.Fold(InternetChecksum.AddWord(0, 0x1234)));
    }

    [Fact]
    public void Completing_a_partial_checksum_gives_the_full_one_for_tcp_and_udp()
    {
        var random = new Random(3);
        foreach (var packet in new[]
                 {
                     Tcp("10.244.1.2", "10.244.2.2", 40000, 5201, 77, 99, Ack | Psh, Random(random, 1000)),
                     Udp("10.244.1.2", "10.244.2.2", 5353, 53, Random(random, 333)),
                 })
        {
            var expected = packet.ToArray();
            bool tcp = packet[9] == 6;
            int offset = tcp ? 16 : 6;
            // What the kernel hands over with NEEDS_CSUM: the field holds the folded pseudo-header sum.
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(20 + offset), (ushort)ReferencePseudo(packet, packet[9], packet.Length - 20));
            Assert.True(InternetChecksum.CompletePartial(packet, 20, offset));
            Assert.Equal(expected, packet);
            Assert.True(ChecksumsValid(packet));
        }
        Assert.False(InternetChecksum.CompletePartial(new byte[30], 20, 16));
    }
}
