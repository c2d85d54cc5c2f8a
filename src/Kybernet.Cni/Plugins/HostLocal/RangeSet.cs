using System.Net;

namespace Kybernet.Cni.Plugins.HostLocal;

/// <summary>Ranges of one address family from which exactly one address is allocated per attachment.</summary>
public sealed record RangeSet(IReadOnlyList<AddressRange> Ranges)
{
    public AddressRange? RangeFor(IPAddress ip) => Ranges.FirstOrDefault(r => r.Contains(ip));

    public bool Contains(IPAddress ip) => RangeFor(ip) is not null;

    public bool Overlaps(RangeSet other) => Ranges.Any(r => other.Ranges.Any(r.Overlaps));

    /// <summary>"10.244.1.1-10.244.1.254,10.244.2.1-10.244.2.254".</summary>
    public override string ToString() => string.Join(',', Ranges);
}
