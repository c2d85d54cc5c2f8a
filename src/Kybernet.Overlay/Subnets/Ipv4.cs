using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Kybernet.Overlay.Subnets;

/// <summary>IPv4 addresses as numbers, for subnet arithmetic.</summary>
internal static class Ipv4
{
    public static uint ToUInt32(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"{address} is not an IPv4 address", nameof(address));
        }
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    public static IPAddress FromUInt32(uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new IPAddress(bytes);
    }

    /// <summary>The netmask of a prefix length as a number (0 for /0).</summary>
    public static uint Mask(int prefixLength) => prefixLength == 0 ? 0 : uint.MaxValue << (32 - prefixLength);

    /// <summary>Number of addresses in a /<paramref name="prefixLength"/> (as a 64-bit value: a /0 holds 2^32).</summary>
    public static ulong Size(int prefixLength) => 1UL << (32 - prefixLength);

    public static IPNetwork Network(uint baseAddress, int prefixLength) => new(FromUInt32(baseAddress & Mask(prefixLength)), prefixLength);
}
