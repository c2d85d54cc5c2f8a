using System.Runtime.InteropServices;

namespace Kybernet.Linux.Tun;

/// <summary>
/// struct virtio_net_hdr (&lt;linux/virtio_net.h&gt;, 10 bytes), which precedes every packet read from or written
/// to a TUN opened with <see cref="TunOptions.VnetHeader"/>. It says whether the packet is a GSO super-packet
/// (type and segment size) and whether its transport checksum is still to be finished (start and offset of the
/// checksum; the field then holds the pseudo-header sum). A legacy TUN uses the host's byte order for it.
/// </summary>
public readonly record struct VirtioNetHeader(
    byte Flags, byte GsoType, ushort HeaderLength, ushort GsoSize, ushort ChecksumStart, ushort ChecksumOffset)
{
    public const int Size = 10;

    /// <summary>VIRTIO_NET_HDR_F_NEEDS_CSUM: sum from ChecksumStart to the end, store at ChecksumStart + ChecksumOffset.</summary>
    public const byte FlagNeedsChecksum = 1;
    /// <summary>VIRTIO_NET_HDR_F_DATA_VALID: the checksum was verified already.</summary>
    public const byte FlagDataValid = 2;

    public const byte GsoNone = 0, GsoTcpV4 = 1, GsoUdp = 3, GsoTcpV6 = 4, GsoUdpL4 = 5, GsoEcn = 0x80;

    /// <summary>A plain, complete packet: no GSO, checksums done.</summary>
    public static VirtioNetHeader None => default;

    public bool NeedsChecksum => (Flags & FlagNeedsChecksum) != 0;

    /// <summary>The GSO type without the ECN bit.</summary>
    public byte GsoKind => (byte)(GsoType & ~GsoEcn);

    public static VirtioNetHeader Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < Size)
            throw new ArgumentException($"a virtio_net_hdr is {Size} bytes, got {source.Length}", nameof(source));
        return new VirtioNetHeader(source[0], source[1],
            MemoryMarshal.Read<ushort>(source[2..]), MemoryMarshal.Read<ushort>(source[4..]),
            MemoryMarshal.Read<ushort>(source[6..]), MemoryMarshal.Read<ushort>(source[8..]));
    }

    public void Write(Span<byte> destination)
    {
        if (destination.Length < Size)
            throw new ArgumentException($"a virtio_net_hdr is {Size} bytes, got {destination.Length}", nameof(destination));
        destination[0] = Flags;
        destination[1] = GsoType;
        var h = HeaderLength; var g = GsoSize; var s = ChecksumStart; var o = ChecksumOffset;
        MemoryMarshal.Write(destination[2..], in h);
        MemoryMarshal.Write(destination[4..], in g);
        MemoryMarshal.Write(destination[6..], in s);
        MemoryMarshal.Write(destination[8..], in o);
    }
}
