using System.Buffers.Binary;

namespace Kybernet.Overlay.Packets;

/// <summary>Field offsets and the shape checks shared by the segmenter and the coalescer (IPv4 + TCP, RFC 791/9293).</summary>
internal static class Ipv4Tcp
{
    public const byte ProtocolTcp = 6, ProtocolUdp = 17;
    public const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, Ack = 0x10, Urg = 0x20, Ece = 0x40, Cwr = 0x80;

    // IPv4
    public const int TotalLengthOffset = 2, IdOffset = 4, FragmentOffset = 6, TtlOffset = 8, ProtocolOffset = 9;
    // TCP, from the TCP header's start
    public const int SeqOffset = 4, AckOffset = 8, DataOffsetByte = 12, FlagsOffset = 13, WindowOffset = 14, ChecksumOffset = 16;

    /// <summary>
    /// Whether <paramref name="packet"/> is one whole IPv4 TCP packet: version 4, sane header lengths, total length
    /// equal to the span, not a fragment. Gives the IP and TCP header lengths.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out int ipHeaderLength, out int tcpHeaderLength)
    {
        ipHeaderLength = tcpHeaderLength = 0;
        if (packet.Length < 40 || packet[0] >> 4 != 4 || packet[ProtocolOffset] != ProtocolTcp)
            return false;
        int ihl = (packet[0] & 0x0f) * 4;
        if (ihl < 20 || BinaryPrimitives.ReadUInt16BigEndian(packet[TotalLengthOffset..]) != packet.Length
            || (BinaryPrimitives.ReadUInt16BigEndian(packet[FragmentOffset..]) & 0x3fff) != 0 // MF or an offset
            || ihl + 20 > packet.Length)
            return false;
        int thl = (packet[ihl + DataOffsetByte] >> 4) * 4;
        if (thl < 20 || ihl + thl > packet.Length)
            return false;
        ipHeaderLength = ihl;
        tcpHeaderLength = thl;
        return true;
    }
}
