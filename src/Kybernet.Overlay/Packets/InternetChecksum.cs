using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Kybernet.Overlay.Packets;

/// <summary>
/// The Internet checksum (RFC 1071): a ones'-complement sum of 16-bit words. Sums are carried in a 64-bit
/// accumulator in the host's word order (the sum is byte-order independent, RFC 1071 §2(B)) so the bulk loop can
/// add 32-bit lanes with SIMD; <see cref="Fold"/> turns an accumulator into the 16-bit value in network terms.
/// Pieces may be added one after the other as long as each starts at an even offset of the checksummed range
/// (only the last may have an odd length).
/// </summary>
public static class InternetChecksum
{
    /// <summary>Adds <paramref name="data"/> to the accumulator <paramref name="sum"/>.</summary>
    public static ulong Add(ulong sum, ReadOnlySpan<byte> data)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        int length = data.Length;
        int i = 0;
        if (Vector256.IsHardwareAccelerated && length >= 64)
        {
            // Each 32-bit lane is widened to 64 bits, so nothing overflows for any packet size.
            Vector256<ulong> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i <= length - 64; i += 64)
            {
                var (l0, h0) = Vector256.Widen(Vector256.LoadUnsafe(ref start, (nuint)i).AsUInt32());
                var (l1, h1) = Vector256.Widen(Vector256.LoadUnsafe(ref start, (nuint)(i + 32)).AsUInt32());
                a0 += l0;
                a1 += h0;
                a2 += l1;
                a3 += h1;
            }
            sum = AddCarry(sum, Vector256.Sum((a0 + a1) + (a2 + a3)));
        }
        else if (Vector128.IsHardwareAccelerated && length >= 32)
        {
            Vector128<ulong> a0 = default, a1 = default;
            for (; i <= length - 16; i += 16)
            {
                var (l, h) = Vector128.Widen(Vector128.LoadUnsafe(ref start, (nuint)i).AsUInt32());
                a0 += l;
                a1 += h;
            }
            sum = AddCarry(sum, Vector128.Sum(a0 + a1));
        }
        ulong tail = 0;
        for (; i <= length - 4; i += 4)
            tail += Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, i));
        if (i <= length - 2)
        {
            tail += Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref start, i));
            i += 2;
        }
        if (i < length) // an odd last byte is the high byte of a word padded with zero
            tail += BitConverter.IsLittleEndian ? Unsafe.Add(ref start, i) : (ulong)Unsafe.Add(ref start, i) << 8;
        return AddCarry(sum, tail);
    }

    /// <summary>Adds one 16-bit word given as its numeric (network) value.</summary>
    public static ulong AddWord(ulong sum, int value) =>
        AddCarry(sum, BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness((ushort)value) : (ushort)value);

    /// <summary>The IPv4 pseudo-header's sum: source and destination (bytes 12-19 of the IP header), protocol, length.</summary>
    public static ulong PseudoHeader(ReadOnlySpan<byte> ipHeader, byte protocol, int length) =>
        AddWord(AddWord(Add(0, ipHeader.Slice(12, 8)), protocol), length);

    /// <summary>The accumulator folded to 16 bits (the ones'-complement sum), as a numeric value to store big-endian.</summary>
    public static ushort Fold(ulong sum)
    {
        sum = (sum & 0xffff_ffff) + (sum >> 32);
        sum = (sum & 0xffff_ffff) + (sum >> 32);
        sum = (sum & 0xffff) + (sum >> 16);
        sum = (sum & 0xffff) + (sum >> 16);
        sum = (sum & 0xffff) + (sum >> 16);
        var folded = (ushort)sum;
        return BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(folded) : folded;
    }

    /// <summary>The checksum to store: the complement of the folded sum.</summary>
    public static ushort Checksum(ulong sum) => (ushort)~Fold(sum);

    /// <summary>Whether data that includes its checksum field sums to all ones (the receiver's check).</summary>
    public static bool Verify(ulong sum) => Fold(sum) == 0xffff;

    /// <summary>
    /// Finishes a checksum the kernel left partial (virtio NEEDS_CSUM: the field at start + offset holds the
    /// pseudo-header sum): sums from <paramref name="start"/> to the end and stores the result, 0 written as
    /// 0xffff as the kernel does. False if the positions do not fit the packet.
    /// </summary>
    public static bool CompletePartial(Span<byte> packet, int start, int offset)
    {
        if (start < 0 || offset < 0 || start + offset + 2 > packet.Length)
            return false;
        ushort checksum = Checksum(Add(0, packet[start..]));
        BinaryPrimitives.WriteUInt16BigEndian(packet[(start + offset)..], checksum == 0 ? (ushort)0xffff : checksum);
        return true;
    }

    /// <summary>The IPv4 header's checksum, recomputed over its <paramref name="headerLength"/> bytes and stored.</summary>
    public static void UpdateIpv4Header(Span<byte> header, int headerLength)
    {
        header[10] = 0;
        header[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(header[10..], Checksum(Add(0, header[..headerLength])));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong AddCarry(ulong a, ulong b)
    {
        ulong s = a + b;
        return s + (s < b ? 1UL : 0UL); // end-around carry
    }
}
