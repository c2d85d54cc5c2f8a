using System.Buffers;
using System.Text;

namespace Kybernet.ApiServer.Protobuf;

/// <summary>
/// Writes the protobuf wire format into one pooled buffer. A nested message is written in place:
/// one byte is kept for its length, and when the length needs more the message is moved along, so
/// no message is encoded twice (to size it) or into a buffer of its own.
/// </summary>
public sealed class ProtoWriter : IDisposable
{
    private byte[] _buffer;
    private int _position;

    public ProtoWriter(int initialCapacity = 4096) => _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _position);

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _position);

    public int Length => _position;

    public byte[] ToArray() => Written.ToArray();

    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_position));
        _position += bytes.Length;
    }

    public void WriteVarint(ulong value)
    {
        Ensure(10);
        while (value >= 0x80)
        {
            _buffer[_position++] = (byte)(value | 0x80);
            value >>= 7;
        }
        _buffer[_position++] = (byte)value;
    }

    public void WriteTag(uint tag) => WriteVarint(tag);

    /// <summary>An int32 or int64 field's value: negative numbers are sign-extended to ten bytes, as protobuf does.</summary>
    public void WriteInt(uint tag, long value)
    {
        WriteTag(tag);
        WriteVarint((ulong)value);
    }

    public void WriteBool(uint tag, bool value)
    {
        WriteTag(tag);
        WriteVarint(value ? 1u : 0u);
    }

    public void WriteDouble(uint tag, double value)
    {
        WriteTag(tag);
        Ensure(8);
        System.Buffers.Binary.BinaryPrimitives.WriteDoubleLittleEndian(_buffer.AsSpan(_position), value);
        _position += 8;
    }

    public void WriteString(uint tag, string value)
    {
        WriteTag(tag);
        int length = Encoding.UTF8.GetByteCount(value);
        WriteVarint((ulong)length);
        Ensure(length);
        _position += Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_position));
    }

    public void WriteBytes(uint tag, ReadOnlySpan<byte> value)
    {
        WriteTag(tag);
        WriteVarint((ulong)value.Length);
        WriteRaw(value);
    }

    /// <summary>Overwrites four bytes already written (a frame's length, known once the frame is).</summary>
    public void PatchBigEndianInt32(int offset, int value) =>
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(offset, 4), value);

    /// <summary>Starts a nested message (or any length-delimited field written piece by piece); returns what <see cref="EndNested"/> takes.</summary>
    public int BeginNested(uint tag)
    {
        WriteTag(tag);
        Ensure(1);
        _position++; // the length's first byte; most messages need no more
        return _position;
    }

    public void EndNested(int start)
    {
        int length = _position - start;
        int size = VarintSize((ulong)length);
        if (size > 1)
        {
            Ensure(size - 1);
            _buffer.AsSpan(start, length).CopyTo(_buffer.AsSpan(start + size - 1));
            _position += size - 1;
        }
        int at = start - 1;
        ulong value = (ulong)length;
        while (value >= 0x80)
        {
            _buffer[at++] = (byte)(value | 0x80);
            value >>= 7;
        }
        _buffer[at] = (byte)value;
    }

    private static int VarintSize(ulong value)
    {
        int size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }
        return size;
    }

    private void Ensure(int more)
    {
        if (_position + more <= _buffer.Length)
            return;
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _position + more));
        _buffer.AsSpan(0, _position).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        _position = 0;
    }
}
