using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace Kybernet.Net;

/// <summary>
/// An IPv4 address with a prefix length, CIDR notation's "10.244.1.1/24". The address is kept as given, host
/// bits and all, because both kinds occur: an interface's address (the gateway 10.244.1.1/24) and a network
/// (10.244.1.0/24), and they are not equal. <see cref="Network"/> clears the host bits and
/// <see cref="IsNetwork"/> says there are none. Everything else (contains, first and last address, the nth
/// address, subnets) is about the network the address lies in. Values compare by address, then prefix length.
/// </summary>
public readonly record struct Ipv4Cidr : IComparable<Ipv4Cidr>, ISpanFormattable
{
    /// <summary>The longest "255.255.255.255/32".</summary>
    public const int MaxTextLength = Ipv4Address.MaxTextLength + 3;

    public Ipv4Cidr(Ipv4Address address, int prefixLength)
    {
        CheckPrefixLength(prefixLength, nameof(prefixLength));
        Address = address;
        PrefixLength = prefixLength;
    }

    /// <summary>The address as given: with host bits for an interface address, without for a network.</summary>
    public Ipv4Address Address { get; }

    /// <summary>0 to 32.</summary>
    public int PrefixLength { get; }

    /// <summary>The netmask of a prefix length: 255.255.255.0 for 24, 0.0.0.0 for 0.</summary>
    public static Ipv4Address Netmask(int prefixLength)
    {
        CheckPrefixLength(prefixLength, nameof(prefixLength));
        // A shift by 32 is a shift by 0 in C#: /0 needs its own case.
        return new(prefixLength == 0 ? 0 : uint.MaxValue << (32 - prefixLength));
    }

    public Ipv4Address Mask => Netmask(PrefixLength);

    private uint HostMask => ~Mask.Value;

    /// <summary>This CIDR with the host bits cleared: 10.244.1.0/24 for 10.244.1.1/24.</summary>
    public Ipv4Cidr Network => new(NetworkAddress, PrefixLength);

    /// <summary>True when no host bit is set (10.244.1.0/24, not 10.244.1.1/24).</summary>
    public bool IsNetwork => (Address.Value & HostMask) == 0;

    /// <summary>The network's first address (10.244.1.0 in 10.244.1.1/24).</summary>
    public Ipv4Address NetworkAddress => new(Address.Value & Mask.Value);

    /// <summary>The network's last address (10.244.1.255 in 10.244.1.1/24).</summary>
    public Ipv4Address BroadcastAddress => new(Address.Value | HostMask);

    /// <summary>
    /// The first address a host may have: the one after the network address, except in a /31 (both addresses
    /// are hosts, RFC 3021) and a /32 (its one address).
    /// </summary>
    public Ipv4Address FirstHost => PrefixLength >= 31 ? NetworkAddress : NetworkAddress + 1;

    /// <summary>The last address a host may have: the one before the broadcast address, except in a /31 and a /32.</summary>
    public Ipv4Address LastHost => PrefixLength >= 31 ? BroadcastAddress : BroadcastAddress - 1;

    /// <summary>How many addresses the network holds (2^32 for a /0, hence 64 bits).</summary>
    public ulong AddressCount => 1UL << (32 - PrefixLength);

    public bool Contains(Ipv4Address address) => (address.Value & Mask.Value) == NetworkAddress.Value;

    /// <summary>True when <paramref name="other"/>'s whole network lies in this one (a network contains itself).</summary>
    public bool Contains(Ipv4Cidr other) => other.PrefixLength >= PrefixLength && Contains(other.Address);

    /// <summary>True when the two networks share an address; CIDR blocks are nested or apart, so one contains the other.</summary>
    public bool Overlaps(Ipv4Cidr other) => Contains(other) || other.Contains(this);

    /// <summary>The address <paramref name="offset"/> places after the network address (0 is the network address).</summary>
    public Ipv4Address AddressAt(ulong offset) => offset < AddressCount
        ? new((uint)(NetworkAddress.Value + offset))
        : throw new ArgumentOutOfRangeException(nameof(offset), offset, $"{Network} holds {AddressCount} addresses: offset {offset} is outside it");

    /// <summary>How many places <paramref name="address"/> is after the network address (the inverse of <see cref="AddressAt"/>).</summary>
    public ulong OffsetOf(Ipv4Address address) => Contains(address)
        ? address.Value - NetworkAddress.Value
        : throw new ArgumentOutOfRangeException(nameof(address), address, $"{address} is not in {Network}");

    /// <summary>The network of the same length right after this one (10.244.2.0/24 after 10.244.1.0/24); an <see cref="OverflowException"/> after the last.</summary>
    public Ipv4Cidr Next()
    {
        ulong next = NetworkAddress.Value + AddressCount;
        return next <= uint.MaxValue
            ? new(new((uint)next), PrefixLength)
            : throw new OverflowException($"{Network} is the last /{PrefixLength}: no network comes after it");
    }

    /// <summary>How many /<paramref name="prefixLength"/> subnets the network splits into (1 for its own length).</summary>
    public ulong SubnetCount(int prefixLength)
    {
        CheckSubnetLength(prefixLength);
        return 1UL << (prefixLength - PrefixLength);
    }

    /// <summary>The <paramref name="index"/>th /<paramref name="prefixLength"/> subnet of the network, in address order (0 is the first).</summary>
    public Ipv4Cidr Subnet(int prefixLength, ulong index)
    {
        var count = SubnetCount(prefixLength);
        if (index >= count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"{Network} splits into {count} /{prefixLength} subnets: index {index} is outside it");
        return new(new((uint)(NetworkAddress.Value + (index << (32 - prefixLength)))), prefixLength);
    }

    /// <summary>The index of the /<paramref name="prefixLength"/> subnet that holds <paramref name="address"/> (the inverse of <see cref="Subnet"/>).</summary>
    public ulong SubnetIndexOf(Ipv4Address address, int prefixLength)
    {
        CheckSubnetLength(prefixLength);
        return OffsetOf(address) >> (32 - prefixLength);
    }

    /// <summary>Every /<paramref name="prefixLength"/> subnet of the network, in address order, computed as it is enumerated.</summary>
    public IEnumerable<Ipv4Cidr> Subnets(int prefixLength)
    {
        var count = SubnetCount(prefixLength);
        return Enumerate(this, prefixLength, count);

        static IEnumerable<Ipv4Cidr> Enumerate(Ipv4Cidr network, int prefixLength, ulong count)
        {
            for (ulong i = 0; i < count; i++)
                yield return network.Subnet(prefixLength, i);
        }
    }

    public int CompareTo(Ipv4Cidr other)
    {
        int byAddress = Address.CompareTo(other.Address);
        return byAddress != 0 ? byAddress : PrefixLength.CompareTo(other.PrefixLength);
    }

    public static bool operator <(Ipv4Cidr a, Ipv4Cidr b) => a.CompareTo(b) < 0;
    public static bool operator >(Ipv4Cidr a, Ipv4Cidr b) => a.CompareTo(b) > 0;
    public static bool operator <=(Ipv4Cidr a, Ipv4Cidr b) => a.CompareTo(b) <= 0;
    public static bool operator >=(Ipv4Cidr a, Ipv4Cidr b) => a.CompareTo(b) >= 0;

    /// <summary>The network <paramref name="network"/> is; an <see cref="ArgumentException"/> if it is IPv6.</summary>
    public static Ipv4Cidr From(IPNetwork network) =>
        TryFrom(network, out var result) ? result : throw new ArgumentException($"{network} is not an IPv4 network", nameof(network));

    public static bool TryFrom(IPNetwork network, out Ipv4Cidr result)
    {
        if (!Ipv4Address.TryFrom(network.BaseAddress, out var address))
        {
            result = default;
            return false;
        }
        result = new(address, network.PrefixLength);
        return true;
    }

    /// <summary>
    /// As an <see cref="IPNetwork"/>, which holds networks only: an <see cref="InvalidOperationException"/> when host
    /// bits are set (convert <see cref="Network"/> to say that dropping them is meant).
    /// </summary>
    public IPNetwork ToIPNetwork() => IsNetwork
        ? new(Address.ToIPAddress(), PrefixLength)
        : throw new InvalidOperationException($"{this} has host bits set, which an IPNetwork cannot hold: convert its Network ({Network})");

    /// <summary>Parses "ADDRESS/LENGTH" keeping host bits as written; a <see cref="FormatException"/> saying what is wrong otherwise.</summary>
    public static Ipv4Cidr Parse(string text) =>
        TryParse(text.AsSpan(), out var result, out var problem) ? result : throw new FormatException($"\"{text}\" is not an IPv4 CIDR (like 10.244.0.0/16): {problem}");

    public static bool TryParse([NotNullWhen(true)] string? text, out Ipv4Cidr result) => TryParse(text.AsSpan(), out result, out _);

    /// <summary>
    /// "ADDRESS/LENGTH": the address as <see cref="Ipv4Address.TryParse(ReadOnlySpan{char}, out Ipv4Address)"/> reads it,
    /// the length as digits only (no sign or spaces) from 0 to 32. Host bits are kept.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> text, out Ipv4Cidr result) => TryParse(text, out result, out _);

    private static bool TryParse(ReadOnlySpan<char> text, out Ipv4Cidr result, [NotNullWhen(false)] out string? problem)
    {
        result = default;
        int slash = text.IndexOf('/');
        if (slash < 0)
        {
            problem = "it has no /prefix length";
            return false;
        }
        if (!Ipv4Address.TryParse(text[..slash], out var address))
        {
            problem = $"\"{text[..slash]}\" is not an IPv4 address";
            return false;
        }
        if (!int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int prefixLength) || prefixLength > 32)
        {
            problem = $"the prefix length \"{text[(slash + 1)..]}\" is not a number from 0 to 32";
            return false;
        }
        result = new(address, prefixLength);
        problem = null;
        return true;
    }

    /// <summary>"10.244.1.1/24": the address as given and the prefix length.</summary>
    public override string ToString()
    {
        Span<char> text = stackalloc char[MaxTextLength];
        TryFormat(text, out int written);
        return new string(text[..written]);
    }

    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    /// <summary>Writes "ADDRESS/LENGTH" without allocating; false (and nothing written) if <paramref name="destination"/> is too short.</summary>
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null)
    {
        charsWritten = 0;
        if (!Address.TryFormat(destination, out int written) || written >= destination.Length)
            return false;
        destination[written++] = '/';
        if (!PrefixLength.TryFormat(destination[written..], out int digits, default, CultureInfo.InvariantCulture))
            return false;
        charsWritten = written + digits;
        return true;
    }

    private static void CheckPrefixLength(int prefixLength, string name)
    {
        if ((uint)prefixLength > 32)
            throw new ArgumentOutOfRangeException(name, prefixLength, $"an IPv4 prefix length is 0 to 32, not {prefixLength}");
    }

    private void CheckSubnetLength(int prefixLength)
    {
        if (prefixLength < PrefixLength || prefixLength > 32)
            throw new ArgumentOutOfRangeException(nameof(prefixLength), prefixLength,
                $"{Network} splits only into subnets of /{PrefixLength} to /32, not /{prefixLength}");
    }
}
