using System.Buffers.Binary;

namespace Kybernet.Overlay.Tests.Packets;

/// <summary>Builds IPv4 packets byte by byte, and checks them with a plain reference checksum (no SIMD, no tricks).</summary>
internal static class PacketBuilder
{
    public const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, Ack = 0x10, Cwr = 0x80;

    /// <summary>RFC 1071 done the slow, obvious way: 16-bit big-endian words, end-around carry at every step.</summary>
    public static ushort ReferenceSum(ReadOnlySpan<byte> data, uint initial = 0)
    {
        uint sum = initial;
        for (int i = 0; i < data.Length; i += 2)
        {
            uint word = (uint)data[i] << 8 | (i + 1 < data.Length ? data[i + 1] : 0u);
            sum += word;
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (ushort)sum;
    }

    public static ushort ReferenceChecksum(ReadOnlySpan<byte> data, uint initial = 0) => (ushort)~ReferenceSum(data, initial);

    public static uint ReferencePseudo(ReadOnlySpan<byte> ip, byte protocol, int length)
    {
        uint sum = ReferenceSum(ip.Slice(12, 8));
        sum += protocol;
        sum += (uint)length;
        while (sum > 0xffff)
            sum = (sum & 0xffff) + (sum >> 16);
        return sum;
    }

    /// <summary>Whether the packet's IP header checksum and its TCP/UDP checksum are right (by the reference).</summary>
    public static bool ChecksumsValid(ReadOnlySpan<byte> packet)
    {
        int ihl = (packet[0] & 0xf) * 4;
        if (ReferenceSum(packet[..ihl]) != 0xffff)
            return false;
        byte protocol = packet[9];
        var l4 = packet[ihl..];
        return ReferenceSum(l4, ReferencePseudo(packet, protocol, l4.Length)) == 0xffff;
    }

    /// <summary>An IPv4 TCP packet with correct checksums (options: optional TCP option bytes, a multiple of 4).</summary>
    public static byte[] Tcp(string src, string dst, ushort sport, ushort dport, uint seq, uint ack, byte flags,
        ReadOnlySpan<byte> payload, ReadOnlySpan<byte> options = default, ushort id = 0x1234, byte tos = 0, ushort window = 502)
    {
        int thl = 20 + options.Length;
        var p = new byte[20 + thl + payload.Length];
        p[0] = 0x45;
        p[1] = tos;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), id);
        p[6] = 0x40; // DF
        p[8] = 64;
        p[9] = 6;
        System.Net.IPAddress.Parse(src).TryWriteBytes(p.AsSpan(12), out _);
        System.Net.IPAddress.Parse(dst).TryWriteBytes(p.AsSpan(16), out _);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), ReferenceChecksum(p.AsSpan(0, 20)));
        var t = p.AsSpan(20);
        BinaryPrimitives.WriteUInt16BigEndian(t, sport);
        BinaryPrimitives.WriteUInt16BigEndian(t[2..], dport);
        BinaryPrimitives.WriteUInt32BigEndian(t[4..], seq);
        BinaryPrimitives.WriteUInt32BigEndian(t[8..], ack);
        t[12] = (byte)(thl / 4 << 4);
        t[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(t[14..], window);
        options.CopyTo(t[20..]);
        payload.CopyTo(t[thl..]);
        BinaryPrimitives.WriteUInt16BigEndian(t[16..], ReferenceChecksum(t, ReferencePseudo(p, 6, t.Length)));
        return p;
    }

    /// <summary>An IPv4 UDP packet with correct checksums.</summary>
    public static byte[] Udp(string src, string dst, ushort sport, ushort dport, ReadOnlySpan<byte> payload)
    {
        var p = new byte[28 + payload.Length];
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
        p[8] = 64;
        p[9] = 17;
        System.Net.IPAddress.Parse(src).TryWriteBytes(p.AsSpan(12), out _);
        System.Net.IPAddress.Parse(dst).TryWriteBytes(p.AsSpan(16), out _);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), ReferenceChecksum(p.AsSpan(0, 20)));
        var u = p.AsSpan(20);
        BinaryPrimitives.WriteUInt16BigEndian(u, sport);
        BinaryPrimitives.WriteUInt16BigEndian(u[2..], dport);
        BinaryPrimitives.WriteUInt16BigEndian(u[4..], (ushort)u.Length);
        payload.CopyTo(u[8..]);
        BinaryPrimitives.WriteUInt16BigEndian(u[6..], ReferenceChecksum(u, ReferencePseudo(p, 17, u.Length)));
        return p;
    }

    /// <summary>TCP options as Linux sends them on data: NOP, NOP, timestamps (10 bytes).</summary>
    public static byte[] Timestamps(uint value, uint echo)
    {
        var o = new byte[12];
        o[0] = 1;
        o[1] = 1;
        o[2] = 8;
        o[3] = 10;
        BinaryPrimitives.WriteUInt32BigEndian(o.AsSpan(4), value);
        BinaryPrimitives.WriteUInt32BigEndian(o.AsSpan(8), echo);
        return o;
    }

    public static byte[] Random(Random random, int length)
    {
        var b = new byte[length];
        random.NextBytes(b);
        return b;
    }

    public static uint Seq(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt32BigEndian(packet[((packet[0] & 0xf) * 4 + 4)..]);
    public static byte Flags(ReadOnlySpan<byte> packet) => packet[(packet[0] & 0xf) * 4 + 13];
    public static int HeaderLength(ReadOnlySpan<byte> packet) => (packet[0] & 0xf) * 4 + (packet[(packet[0] & 0xf) * 4 + 12] >> 4) * 4;
    public static ReadOnlySpan<byte> Payload(ReadOnlySpan<byte> packet) => packet[HeaderLength(packet)..];
}
