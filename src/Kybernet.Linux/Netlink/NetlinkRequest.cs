using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;

namespace Kybernet.Linux.Netlink;

/// <summary>
/// Builds one netlink request in a reusable buffer: header, fixed family header, then attributes
/// (type-length-value, 4-byte aligned, nestable). Lengths are patched in when a part is closed.
/// </summary>
internal sealed class NetlinkRequest
{
    private byte[] _buffer = new byte[4096];
    private int _length;

    public ReadOnlySpan<byte> Bytes => _buffer.AsSpan(0, _length);

    /// <summary>Starts a fresh message; the sequence number and port are filled in by the socket.</summary>
    public NetlinkRequest Begin(ushort type, ushort flags)
    {
        _length = 0;
        Append(new NlMsgHdr { Type = type, Flags = (ushort)(flags | NlFlags.Request) });
        return this;
    }

    public ushort Flags => MemoryMarshal.Read<NlMsgHdr>(_buffer).Flags;

    /// <summary>Appends a fixed header such as ifinfomsg (unpadded structs are all multiples of 4).</summary>
    public NetlinkRequest Append<T>(in T header) where T : unmanaged
    {
        int size = Marshal.SizeOf<T>();
        var span = Reserve(Align(size));
        MemoryMarshal.Write(span, in header);
        PatchMessageLength();
        return this;
    }

    public NetlinkRequest Attribute(ushort type, ReadOnlySpan<byte> payload)
    {
        var span = Reserve(Align(4 + payload.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)(4 + payload.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(span[2..], type);
        payload.CopyTo(span[4..]);
        PatchMessageLength();
        return this;
    }

    public NetlinkRequest U8(ushort type, byte value) => Attribute(type, [value]);

    public NetlinkRequest U16(ushort type, ushort value)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, value);
        return Attribute(type, b);
    }

    /// <summary>A 16-bit value in network byte order (ports, as the kernel wants for vxlan).</summary>
    public NetlinkRequest U16BigEndian(ushort type, ushort value)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(b, value);
        return Attribute(type, b);
    }

    public NetlinkRequest U32(ushort type, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        return Attribute(type, b);
    }

    public NetlinkRequest S32(ushort type, int value) => U32(type, unchecked((uint)value));

    /// <summary>A NUL-terminated string, as the kernel expects names.</summary>
    public NetlinkRequest String(ushort type, string value)
    {
        int n = Encoding.UTF8.GetByteCount(value);
        Span<byte> b = n < 256 ? stackalloc byte[n + 1] : new byte[n + 1];
        Encoding.UTF8.GetBytes(value, b);
        b[n] = 0;
        return Attribute(type, b);
    }

    public NetlinkRequest Address(ushort type, IPAddress address)
    {
        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out int written);
        return Attribute(type, b[..written]);
    }

    /// <summary>Opens a nested attribute; close it with <see cref="EndNested"/>.</summary>
    public int BeginNested(ushort type)
    {
        int start = _length;
        var span = Reserve(4);
        BinaryPrimitives.WriteUInt16LittleEndian(span[2..], type);
        return start;
    }

    public NetlinkRequest EndNested(int start)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(start), (ushort)(_length - start));
        PatchMessageLength();
        return this;
    }

    /// <summary>Sets sequence and port id once the socket knows them.</summary>
    public void Stamp(uint sequence)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(8), sequence);
    }

    public static int Align(int n) => (n + 3) & ~3;

    private Span<byte> Reserve(int n)
    {
        if (_length + n > _buffer.Length)
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + n));
        var span = _buffer.AsSpan(_length, n);
        span.Clear();
        _length += n;
        return span;
    }

    private void PatchMessageLength() =>
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer, (uint)_length);
}
