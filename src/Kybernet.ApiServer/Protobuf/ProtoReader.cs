using System.Buffers.Binary;

namespace Kybernet.ApiServer.Protobuf;

/// <summary>One field of a protobuf message: its number and wire type, and its value (varint, fixed-width bits, or bytes).</summary>
public readonly ref struct ProtoField(int number, int wireType, ulong varint, ReadOnlySpan<byte> bytes)
{
    public int Number { get; } = number;
    public int WireType { get; } = wireType;
    public ulong Varint { get; } = varint;
    public ReadOnlySpan<byte> Bytes { get; } = bytes;
    public string String => System.Text.Encoding.UTF8.GetString(Bytes);
}

/// <summary>
/// Reads the protobuf wire format field by field (varints and length-delimited fields; the only wire
/// types Kubernetes' generated messages use, and fixed 64/32-bit ones for doubles and floats).
/// </summary>
public ref struct ProtoReader(ReadOnlySpan<byte> data)
{
    private readonly int _length = data.Length;
    private ReadOnlySpan<byte> _rest = data;

    /// <summary>How many bytes have been read: where the next field starts, and where the last one's bytes end.</summary>
    public readonly int Consumed => _length - _rest.Length;

    public bool TryRead(out ProtoField field)
    {
        field = default;
        if (_rest.IsEmpty)
            return false;
        ulong key = Varint();
        int number = (int)(key >> 3), wireType = (int)(key & 7);
        switch (wireType)
        {
            case 0:
                field = new ProtoField(number, wireType, Varint(), default);
                return true;
            case 2:
                int length = checked((int)Varint());
                if (length > _rest.Length)
                    throw new FormatException("protobuf: a field runs past the end of its message");
                field = new ProtoField(number, wireType, 0, _rest[..length]);
                _rest = _rest[length..];
                return true;
            case 1:
                Need(8);
                field = new ProtoField(number, wireType, BinaryPrimitives.ReadUInt64LittleEndian(_rest), default);
                _rest = _rest[8..];
                return true;
            case 5:
                Need(4);
                field = new ProtoField(number, wireType, BinaryPrimitives.ReadUInt32LittleEndian(_rest), default);
                _rest = _rest[4..];
                return true;
            default:
                throw new FormatException($"protobuf: wire type {wireType} is not supported");
        }
    }

    private ulong Varint()
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (_rest.IsEmpty)
                throw new FormatException("protobuf: truncated varint");
            byte b = _rest[0];
            _rest = _rest[1..];
            value |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
                return value;
        }
        throw new FormatException("protobuf: varint too long");
    }

    /// <summary>The next value of a packed repeated scalar field (varints one after another).</summary>
    public bool TryReadVarint(out ulong value)
    {
        value = 0;
        if (_rest.IsEmpty)
            return false;
        value = Varint();
        return true;
    }

    private readonly void Need(int n)
    {
        if (n > _rest.Length)
            throw new FormatException("protobuf: truncated fixed-width field");
    }
}
