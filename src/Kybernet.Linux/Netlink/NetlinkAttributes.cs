using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Kybernet.Linux.Netlink;

/// <summary>Walks the attributes of a received message: `foreach (var a in new NetlinkAttributes(span))`.</summary>
internal readonly ref struct NetlinkAttributes
{
    private readonly ReadOnlySpan<byte> _data;

    public NetlinkAttributes(ReadOnlySpan<byte> data) => _data = data;

    public Enumerator GetEnumerator() => new(_data);

    public ref struct Enumerator
    {
        private ReadOnlySpan<byte> _rest;

        public Enumerator(ReadOnlySpan<byte> data)
        {
            _rest = data;
            Current = default;
        }

        public NetlinkAttribute Current { get; private set; }

        public bool MoveNext()
        {
            if (_rest.Length < 4)
                return false;
            int length = BinaryPrimitives.ReadUInt16LittleEndian(_rest);
            if (length < 4 || length > _rest.Length)
                return false;
            // The top bits of the type flag nesting and byte order; the number is below them.
            ushort type = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(_rest[2..]) & 0x3fff);
            Current = new NetlinkAttribute(type, _rest[4..length]);
            _rest = _rest[Math.Min(NetlinkRequest.Align(length), _rest.Length)..];
            return true;
        }
    }
}

internal readonly ref struct NetlinkAttribute
{
    public NetlinkAttribute(ushort type, ReadOnlySpan<byte> payload)
    {
        Type = type;
        Payload = payload;
    }

    public ushort Type { get; }
    public ReadOnlySpan<byte> Payload { get; }

    public byte U8 => Payload[0];
    public ushort U16 => BinaryPrimitives.ReadUInt16LittleEndian(Payload);
    public ushort U16BigEndian => BinaryPrimitives.ReadUInt16BigEndian(Payload);
    public uint U32 => BinaryPrimitives.ReadUInt32LittleEndian(Payload);
    public int S32 => BinaryPrimitives.ReadInt32LittleEndian(Payload);
    public IPAddress Address => new(Payload);
    public NetlinkAttributes Nested => new(Payload);

    public string String
    {
        get
        {
            int nul = Payload.IndexOf((byte)0);
            return Encoding.UTF8.GetString(nul >= 0 ? Payload[..nul] : Payload);
        }
    }
}
