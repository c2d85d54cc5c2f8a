using System.Net;
using Kybernet.Net;

namespace Kybernet.Cni.Plugins.HostLocal;

/// <summary>
/// The order in which a range set's addresses are tried: the whole set as one ring (each range from
/// its start to its end, then the next range), starting just after the last address reserved in it,
/// or at the first range's start when there is none. Gateways are skipped. Every address is offered
/// once, the last reserved one last, so a crash-looping container does not get its old address back
/// until the set has been run through (the reference plugin's order).
/// </summary>
internal static class RoundRobinOrder
{
    public static IEnumerable<(IPAddress Address, AddressRange Range)> Candidates(RangeSet set, IPAddress? lastReserved)
    {
        var ranges = set.Ranges;
        int index = 0;
        UInt128 current = IpNumbers.ToNumber(ranges[0].Start);
        if (lastReserved is not null && set.RangeFor(lastReserved) is { } lastRange)
        {
            index = IndexOf(ranges, lastRange);
            current = IpNumbers.ToNumber(IpNumbers.Canonical(lastReserved));
            Advance(ranges, ref index, ref current);
        }

        int startIndex = index;
        UInt128 start = current;
        do
        {
            var range = ranges[index];
            var address = IpNumbers.FromNumber(current, range.Family);
            if (!address.Equals(range.Gateway))
                yield return (address, range);
            Advance(ranges, ref index, ref current);
        }
        while (index != startIndex || current != start);
    }

    private static void Advance(IReadOnlyList<AddressRange> ranges, ref int index, ref UInt128 current)
    {
        if (current == IpNumbers.ToNumber(ranges[index].End))
        {
            index = (index + 1) % ranges.Count;
            current = IpNumbers.ToNumber(ranges[index].Start);
        }
        else
        {
            current++;
        }
    }

    private static int IndexOf(IReadOnlyList<AddressRange> ranges, AddressRange range)
    {
        for (int i = 0; i < ranges.Count; i++)
            if (ReferenceEquals(ranges[i], range))
                return i;
        throw new InvalidOperationException("range is not in its set");
    }
}
