using System.Buffers.Binary;
using System.Text;

namespace Kybernet.Streams.Spdy;

/// <summary>
/// A SPDY/3 name/value header block before compression: a 32-bit count, then each name and value with a 32-bit length.
/// Names are lower case; several values of one name travel as one value separated by NUL bytes.
/// </summary>
public static class HeaderBlock
{
    public static byte[] Encode(IEnumerable<KeyValuePair<string, string>> headers)
    {
        var grouped = headers.GroupBy(h => h.Key.ToLowerInvariant(), h => h.Value).ToList();
        using var buffer = new MemoryStream();
        var number = new byte[4];
        void Write(ReadOnlySpan<byte> bytes)
        {
            BinaryPrimitives.WriteInt32BigEndian(number, bytes.Length);
            buffer.Write(number);
            buffer.Write(bytes);
        }
        BinaryPrimitives.WriteInt32BigEndian(number, grouped.Count);
        buffer.Write(number);
        foreach (var group in grouped)
        {
            Write(Encoding.UTF8.GetBytes(group.Key));
            Write(Encoding.UTF8.GetBytes(string.Join('\0', group)));
        }
        return buffer.ToArray();
    }

    public static List<KeyValuePair<string, string>> Decode(ReadOnlySpan<byte> block)
    {
        var headers = new List<KeyValuePair<string, string>>();
        var count = ReadLength(ref block);
        for (var i = 0; i < count; i++)
        {
            var name = ReadString(ref block);
            foreach (var value in ReadString(ref block).Split('\0'))
                headers.Add(new(name, value));
        }
        return headers;
    }

    private static int ReadLength(ref ReadOnlySpan<byte> block)
    {
        if (block.Length < 4)
            throw new InvalidDataException("SPDY header block ends inside a length");
        var n = BinaryPrimitives.ReadInt32BigEndian(block);
        block = block[4..];
        return n >= 0 ? n : throw new InvalidDataException($"SPDY header block has a negative length ({n})");
    }

    private static string ReadString(ref ReadOnlySpan<byte> block)
    {
        var length = ReadLength(ref block);
        if (block.Length < length)
            throw new InvalidDataException($"SPDY header block ends inside a {length}-byte string");
        var text = Encoding.UTF8.GetString(block[..length]);
        block = block[length..];
        return text;
    }
}
