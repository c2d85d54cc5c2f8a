using System.Buffers.Binary;

namespace Kybernet.Streams.Spdy;

/// <summary>
/// SPDY/3.1's wire format, the parts Kubernetes' streams use. Every frame starts with 8 bytes: a control frame has its
/// top bit set, then the version (3) and the type, a data frame the stream id; then one byte of flags and a 24-bit length.
/// </summary>
public static class SpdyFrames
{
    public const int Version = 3;
    public const int HeaderLength = 8;
    public const int MaxLength = (1 << 24) - 1;

    public const ushort SynStream = 1, SynReply = 2, RstStream = 3, Settings = 4, Ping = 6, GoAway = 7, Headers = 8, WindowUpdate = 9;

    /// <summary>Flag of a data frame, SYN_STREAM or SYN_REPLY: the sender sends nothing more on the stream.</summary>
    public const byte Fin = 0x01;

    /// <summary>RST_STREAM status: the stream was not wanted (we open streams, we do not take them).</summary>
    public const uint RefusedStream = 3;

    public static void WriteControlHeader(Span<byte> frame, ushort type, byte flags, int length)
    {
        BinaryPrimitives.WriteUInt32BigEndian(frame, 0x8000_0000u | (Version << 16) | type);
        WriteFlagsAndLength(frame[4..], flags, length);
    }

    public static void WriteDataHeader(Span<byte> frame, uint streamId, byte flags, int length)
    {
        BinaryPrimitives.WriteUInt32BigEndian(frame, streamId & 0x7fff_ffff);
        WriteFlagsAndLength(frame[4..], flags, length);
    }

    private static void WriteFlagsAndLength(Span<byte> to, byte flags, int length)
    {
        if ((uint)length > MaxLength)
            throw new ArgumentOutOfRangeException(nameof(length), length, "a SPDY frame carries at most 16 MiB");
        BinaryPrimitives.WriteUInt32BigEndian(to, ((uint)flags << 24) | (uint)length);
    }

    /// <summary>What the 8 bytes of a frame's header say.</summary>
    public readonly record struct FrameHeader(bool IsControl, ushort Version, ushort Type, uint StreamId, byte Flags, int Length)
    {
        public static FrameHeader Parse(ReadOnlySpan<byte> header)
        {
            var first = BinaryPrimitives.ReadUInt32BigEndian(header);
            var second = BinaryPrimitives.ReadUInt32BigEndian(header[4..]);
            var flags = (byte)(second >> 24);
            var length = (int)(second & 0xff_ffff);
            return (first & 0x8000_0000) != 0
                ? new FrameHeader(true, (ushort)((first >> 16) & 0x7fff), (ushort)(first & 0xffff), 0, flags, length)
                : new FrameHeader(false, 0, 0, first & 0x7fff_ffff, flags, length);
        }
    }

    public static uint StreamIdAt(ReadOnlySpan<byte> payload) => BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7fff_ffff;
}
