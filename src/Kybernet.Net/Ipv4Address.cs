using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace Kybernet.Net;

/// <summary>
/// An IPv4 address as a value. <see cref="Value"/> is the address's four bytes in network order read as one
/// big-endian number (10.244.1.2 is 0x0AF40102), so numeric order is address order and + 1 is the next
/// address. Packet bytes are read and written with <see cref="Read"/> and <see cref="Write"/>; arithmetic and
/// comparison allocate nothing (only the conversions to <see cref="IPAddress"/> and strings do).
/// </summary>
public readonly record struct Ipv4Address(uint Value) : IComparable<Ipv4Address>, ISpanFormattable
{
    /// <summary>Bytes in an IPv4 address.</summary>
    public const int Length = 4;

    /// <summary>The longest "255.255.255.255".</summary>
    public const int MaxTextLength = 15;

    /// <summary>0.0.0.0</summary>
    public static readonly Ipv4Address Any = new(0);

    /// <summary>255.255.255.255</summary>
    public static readonly Ipv4Address Broadcast = new(uint.MaxValue);

    /// <summary>The address in the first four bytes of <paramref name="networkOrder"/> (a packet header's field).</summary>
    public static Ipv4Address Read(ReadOnlySpan<byte> networkOrder) => new(BinaryPrimitives.ReadUInt32BigEndian(networkOrder));

    /// <summary>Writes the four bytes in network order.</summary>
    public void Write(Span<byte> destination) => BinaryPrimitives.WriteUInt32BigEndian(destination, Value);

    /// <summary>The IPv4 address <paramref name="address"/> holds; an <see cref="ArgumentException"/> for IPv6 (IPv4-mapped ones too: map them first).</summary>
    public static Ipv4Address From(IPAddress address) =>
        TryFrom(address, out var result) ? result : throw new ArgumentException($"{address} is not an IPv4 address", nameof(address));

    public static bool TryFrom(IPAddress address, out Ipv4Address result)
    {
        Span<byte> bytes = stackalloc byte[Length];
        if (address.AddressFamily != AddressFamily.InterNetwork || !address.TryWriteBytes(bytes, out _))
        {
            result = default;
            return false;
        }
        result = Read(bytes);
        return true;
    }

    public IPAddress ToIPAddress()
    {
        Span<byte> bytes = stackalloc byte[Length];
        Write(bytes);
        return new IPAddress(bytes);
    }

    /// <summary>Parses an IPv4 address; a <see cref="FormatException"/> that quotes the text otherwise.</summary>
    public static Ipv4Address Parse(string text) =>
        TryParse(text, out var result) ? result : throw new FormatException($"\"{text}\" is not an IPv4 address (like 10.244.1.2)");

    public static bool TryParse([NotNullWhen(true)] string? text, out Ipv4Address result) => TryParse(text.AsSpan(), out result);

    /// <summary>
    /// Parses with <see cref="IPAddress"/>'s own parser, so every form System.Net accepts is accepted here too
    /// (including inet_aton's short ones: "10.1" is 10.0.0.1), exactly as the code before this type did.
    /// IPv6 text, IPv4-mapped included, is not an IPv4 address.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> text, out Ipv4Address result)
    {
        if (IPAddress.TryParse(text, out var ip) && TryFrom(ip, out result))
            return true;
        result = default;
        return false;
    }

    /// <summary>The address <paramref name="offset"/> after this one; an <see cref="OverflowException"/> past 255.255.255.255 (no wrap-around).</summary>
    public static Ipv4Address operator +(Ipv4Address address, uint offset) =>
        address.Value <= uint.MaxValue - offset ? new(address.Value + offset) : throw new OverflowException($"{address} + {offset} is past 255.255.255.255");

    /// <summary>The address <paramref name="offset"/> before this one; an <see cref="OverflowException"/> before 0.0.0.0.</summary>
    public static Ipv4Address operator -(Ipv4Address address, uint offset) =>
        address.Value >= offset ? new(address.Value - offset) : throw new OverflowException($"{address} - {offset} is before 0.0.0.0");

    /// <summary>How many addresses <paramref name="a"/> comes after <paramref name="b"/> (negative if before).</summary>
    public static long operator -(Ipv4Address a, Ipv4Address b) => (long)a.Value - b.Value;

    public int CompareTo(Ipv4Address other) => Value.CompareTo(other.Value);

    public static bool operator <(Ipv4Address a, Ipv4Address b) => a.Value < b.Value;
    public static bool operator >(Ipv4Address a, Ipv4Address b) => a.Value > b.Value;
    public static bool operator <=(Ipv4Address a, Ipv4Address b) => a.Value <= b.Value;
    public static bool operator >=(Ipv4Address a, Ipv4Address b) => a.Value >= b.Value;

    /// <summary>Dotted quad, "10.244.1.2", as <see cref="IPAddress.ToString"/> writes it.</summary>
    public override string ToString()
    {
        Span<char> text = stackalloc char[MaxTextLength];
        TryFormat(text, out int written);
        return new string(text[..written]);
    }

    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    /// <summary>Writes the dotted quad without allocating; false (and nothing written) if <paramref name="destination"/> is too short.</summary>
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null)
    {
        charsWritten = 0;
        int written = 0;
        for (int shift = 24; shift >= 0; shift -= 8)
        {
            if (shift != 24)
            {
                if (written >= destination.Length)
                    return false;
                destination[written++] = '.';
            }
            if (!((byte)(Value >> shift)).TryFormat(destination[written..], out int digits, default, System.Globalization.CultureInfo.InvariantCulture))
                return false;
            written += digits;
        }
        charsWritten = written;
        return true;
    }
}
