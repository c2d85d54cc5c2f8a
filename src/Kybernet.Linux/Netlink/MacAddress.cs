using System.Net.NetworkInformation;

namespace Kybernet.Linux.Netlink;

/// <summary>MAC addresses in the lower-case, colon-separated form iproute2 and CNI results use.</summary>
public static class MacAddress
{
    public static string Format(PhysicalAddress mac) =>
        string.Join(':', mac.GetAddressBytes().Select(b => b.ToString("x2")));
}
