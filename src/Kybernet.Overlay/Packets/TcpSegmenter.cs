using System.Buffers.Binary;

namespace Kybernet.Overlay.Packets;

/// <summary>Where one segment is: its headers in the header buffer, its payload in the original packet.</summary>
public readonly record struct SegmentSlice(int HeaderOffset, int HeaderLength, int PayloadOffset, int PayloadLength);

/// <summary>
/// Software TSO for IPv4: cuts a TCP super-packet (as a TUN with TSO offloads hands it over: one IP and TCP header,
/// up to 64 KiB of payload, its TCP checksum possibly partial) into packets of at most <c>mss</c> payload bytes,
/// as the kernel's tcp_gso_segment would: IP total length, id (+1 per segment) and header checksum; TCP sequence
/// number, flags (FIN and PSH only on the last segment, CWR only on the first) and a full checksum per segment.
/// Payloads are not copied: only the headers are written, and each segment is (header slice, payload slice).
/// </summary>
public static class TcpSegmenter
{
    /// <summary>How many segments <see cref="Segment"/> makes of <paramref name="packet"/>, or -1 if it is not a whole IPv4 TCP packet.</summary>
    public static int Count(ReadOnlySpan<byte> packet, int mss)
    {
        if (mss <= 0 || !Ipv4Tcp.TryParse(packet, out int ihl, out int thl))
            return -1;
        int payload = packet.Length - ihl - thl;
        return payload <= mss ? 1 : (payload + mss - 1) / mss;
    }

    /// <summary>
    /// Segments <paramref name="packet"/>: segment i's headers go to headers[i * headerStride ..], its payload stays
    /// in the packet; its place goes to segments[i]. Returns the number of segments, or -1 if the packet is not a
    /// whole IPv4 TCP packet or the segments or headers do not fit the space given.
    /// </summary>
    public static int Segment(ReadOnlySpan<byte> packet, int mss, Span<byte> headers, int headerStride, Span<SegmentSlice> segments)
    {
        if (mss <= 0 || !Ipv4Tcp.TryParse(packet, out int ihl, out int thl))
            return -1;
        int hl = ihl + thl;
        int payload = packet.Length - hl;
        int count = payload <= mss ? 1 : (payload + mss - 1) / mss;
        if (hl > headerStride || count > segments.Length || (long)count * headerStride > headers.Length)
            return -1;

        ushort id = BinaryPrimitives.ReadUInt16BigEndian(packet[Ipv4Tcp.IdOffset..]);
        uint seq = BinaryPrimitives.ReadUInt32BigEndian(packet[(ihl + Ipv4Tcp.SeqOffset)..]);
        byte flags = packet[ihl + Ipv4Tcp.FlagsOffset];
        ulong addresses = InternetChecksum.AddWord(InternetChecksum.Add(0, packet.Slice(12, 8)), Ipv4Tcp.ProtocolTcp);
        for (int i = 0; i < count; i++)
        {
            int offset = i * mss;
            int length = Math.Min(mss, payload - offset);
            var h = headers.Slice(i * headerStride, hl);
            packet[..hl].CopyTo(h);
            BinaryPrimitives.WriteUInt16BigEndian(h[Ipv4Tcp.TotalLengthOffset..], (ushort)(hl + length));
            BinaryPrimitives.WriteUInt16BigEndian(h[Ipv4Tcp.IdOffset..], (ushort)(id + i));
            InternetChecksum.UpdateIpv4Header(h, ihl);

            var tcp = h[ihl..];
            BinaryPrimitives.WriteUInt32BigEndian(tcp[Ipv4Tcp.SeqOffset..], seq + (uint)offset);
            byte f = flags;
            if (i < count - 1)
                f &= unchecked((byte)~(Ipv4Tcp.Fin | Ipv4Tcp.Psh));
            if (i > 0)
                f &= unchecked((byte)~Ipv4Tcp.Cwr);
            tcp[Ipv4Tcp.FlagsOffset] = f;
            tcp[Ipv4Tcp.ChecksumOffset] = 0;
            tcp[Ipv4Tcp.ChecksumOffset + 1] = 0;
            ulong sum = InternetChecksum.AddWord(addresses, thl + length);
            sum = InternetChecksum.Add(sum, tcp);
            sum = InternetChecksum.Add(sum, packet.Slice(hl + offset, length));
            BinaryPrimitives.WriteUInt16BigEndian(tcp[Ipv4Tcp.ChecksumOffset..], InternetChecksum.Checksum(sum));

            segments[i] = new SegmentSlice(i * headerStride, hl, hl + offset, length);
        }
        return count;
    }
}
