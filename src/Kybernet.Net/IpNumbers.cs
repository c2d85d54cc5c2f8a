using System.Net;
using System.Net.Sockets;

namespace Kybernet.Net;

/// <summary>
/// Address arithmetic for either family, for what must treat IPv4 and IPv6 alike (the CNI plugins' dual-stack ranges,
/// as the reference plugins allocate both): an address as a number (both families fit in a <see cref="UInt128"/>), so
/// ranges can be walked and compared. IPv4-only code uses <see cref="Ipv4Address"/> and <see cref="Ipv4Cidr"/>, which
/// allocate nothing.
/// </summary>
public static class IpNumbers
{
    /// <summary>IPv4-mapped IPv6 addresses ("::ffff:10.0.0.1") are read as the IPv4 address, as the reference plugins do.</summary>
    public static IPAddress Canonical(IPAddress ip) => ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip;

    public static UInt128 ToNumber(IPAddress ip)
    {
        Span<byte> bytes = stackalloc byte[16];
        ip.TryWriteBytes(bytes, out int length);
        UInt128 value = 0;
        for (int i = 0; i < length; i++)
            value = (value << 8) | bytes[i];
        return value;
    }

    public static IPAddress FromNumber(UInt128 value, AddressFamily family)
    {
        int length = family == AddressFamily.InterNetwork ? 4 : 16;
        Span<byte> bytes = stackalloc byte[length];
        for (int i = length - 1; i >= 0; i--, value >>= 8)
            bytes[i] = (byte)value;
        return new IPAddress(bytes);
    }

    public static int Compare(IPAddress a, IPAddress b) => ToNumber(a).CompareTo(ToNumber(b));

    public static IPAddress Next(IPAddress ip) => FromNumber(ToNumber(ip) + 1, ip.AddressFamily);

    public static IPAddress Previous(IPAddress ip) => FromNumber(ToNumber(ip) - 1, ip.AddressFamily);

    /// <summary>The network's first address after the network address itself (a bridge's default gateway: 10.244.1.1, fd00::1).</summary>
    public static IPAddress FirstHost(IPNetwork network) => Next(network.BaseAddress);

    /// <summary>The highest address of a network (IPv4's broadcast address).</summary>
    public static IPAddress Last(IPNetwork network)
    {
        int bits = network.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        UInt128 hostMask = network.PrefixLength == 0 ? UInt128.MaxValue : (UInt128.One << (bits - network.PrefixLength)) - 1;
        if (bits == 32)
            hostMask &= uint.MaxValue;
        return FromNumber(ToNumber(network.BaseAddress) | hostMask, network.BaseAddress.AddressFamily);
    }

    public static string FamilyName(AddressFamily family) => family == AddressFamily.InterNetwork ? "IPv4" : "IPv6";
}
