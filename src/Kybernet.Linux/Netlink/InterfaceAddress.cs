using System.Net;
using System.Net.Sockets;

namespace Kybernet.Linux.Netlink;

/// <summary>
/// An address with its prefix as configured on an interface ("10.244.1.1/24"). Unlike
/// <see cref="IPNetwork"/>, host bits are kept: they are the point.
/// </summary>
public readonly record struct InterfaceAddress(IPAddress Address, int PrefixLength)
{
    public AddressFamily Family => Address.AddressFamily;

    /// <summary>The network this address sits in, e.g. 10.244.1.0/24 for 10.244.1.1/24.</summary>
    public IPNetwork Network => new(Mask(Address, PrefixLength), PrefixLength);

    public static InterfaceAddress Parse(string text)
    {
        var slash = text.IndexOf('/');
        if (slash < 0)
            throw new FormatException($"\"{text}\" is not an address with a prefix length (like 10.0.0.1/24)");
        var address = IPAddress.Parse(text[..slash]);
        int max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        if (!int.TryParse(text[(slash + 1)..], out int prefix) || prefix < 0 || prefix > max)
            throw new FormatException($"\"{text}\" has an invalid prefix length (0-{max})");
        return new InterfaceAddress(address, prefix);
    }

    public override string ToString() => $"{Address}/{PrefixLength}";

    private static IPAddress Mask(IPAddress address, int prefix)
    {
        var bytes = address.GetAddressBytes();
        for (int i = 0; i < bytes.Length; i++)
        {
            int keep = Math.Clamp(prefix - i * 8, 0, 8);
            bytes[i] &= (byte)(0xff << (8 - keep));
        }
        return new IPAddress(bytes);
    }
}
