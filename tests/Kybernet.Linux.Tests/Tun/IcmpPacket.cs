using System.Buffers.Binary;
using System.Net;

namespace Kybernet.Linux.Tests.Tun;

/// <summary>Hand-built IPv4 ICMP echo packets, so the TUN tests need no raw sockets.</summary>
public static class IcmpPacket
{
    public const int HeaderLength = 20;

    public static byte[] EchoRequest(IPAddress source, IPAddress destination, ushort id, ushort sequence, ReadOnlySpan<byte> payload)
    {
        var packet = new byte[HeaderLength + 8 + payload.Length];
        var ip = packet.AsSpan(0, HeaderLength);
        ip[0] = 0x45;                                                  // version 4, 5 words of header
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)packet.Length);
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], 0x1234);        // identification
        BinaryPrimitives.WriteUInt16BigEndian(ip[6..], 0x4000);        // don't fragment
        ip[8] = 64;                                                    // TTL
        ip[9] = 1;                                                     // ICMP
        source.TryWriteBytes(ip[12..16], out _);
        destination.TryWriteBytes(ip[16..20], out _);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum(ip));

        var icmp = packet.AsSpan(HeaderLength);
        icmp[0] = 8;                                                   // echo request, code 0
        BinaryPrimitives.WriteUInt16BigEndian(icmp[4..], id);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], sequence);
        payload.CopyTo(icmp[8..]);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Checksum(icmp));
        return packet;
    }

    /// <summary>The Internet checksum (RFC 1071); over data that includes a valid checksum it is 0.</summary>
    public static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (int i = 0; i + 1 < data.Length; i += 2)
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if ((data.Length & 1) != 0)
            sum += (uint)data[^1] << 8;
        while (sum > 0xffff)
            sum = (sum & 0xffff) + (sum >> 16);
        return (ushort)~sum;
    }

    public static bool IsEchoReply(ReadOnlySpan<byte> packet, ushort id) =>
        packet.Length >= HeaderLength + 8 && packet[0] == 0x45 && packet[9] == 1 && packet[HeaderLength] == 0
        && BinaryPrimitives.ReadUInt16BigEndian(packet[(HeaderLength + 4)..]) == id;
}
