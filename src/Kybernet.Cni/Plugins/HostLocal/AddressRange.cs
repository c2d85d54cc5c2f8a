using System.Net;
using Kybernet.Net;

namespace Kybernet.Cni.Plugins.HostLocal;

/// <summary>
/// One range of a range set, canonical: the subnet, its first and last allocatable addresses
/// (inclusive) and the gateway, which is never handed out even when it lies inside the range.
/// </summary>
public sealed record AddressRange(IPNetwork Subnet, IPAddress Start, IPAddress End, IPAddress Gateway)
{
    public System.Net.Sockets.AddressFamily Family => Subnet.BaseAddress.AddressFamily;

    public bool Contains(IPAddress ip)
    {
        ip = IpNumbers.Canonical(ip);
        return ip.AddressFamily == Family && Subnet.Contains(ip)
            && IpNumbers.Compare(ip, Start) >= 0 && IpNumbers.Compare(ip, End) <= 0;
    }

    /// <summary>Two ranges overlap when either holds an end of the other (ranges of different families never do).</summary>
    public bool Overlaps(AddressRange other) =>
        Contains(other.Start) || Contains(other.End) || other.Contains(Start) || other.Contains(End);

    /// <summary>"10.244.1.1-10.244.1.254", the reference's spelling in error messages.</summary>
    public override string ToString() => $"{Start}-{End}";
}
