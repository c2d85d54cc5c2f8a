using System.Net;
using Kybernet.Cni.Protocol;
using Kybernet.Linux.Netlink;

namespace Kybernet.Cni.Plugins.HostLocal;

/// <summary>What allocating in one range set gave: the address for the result, and whether this call reserved it.</summary>
internal sealed record Allocation(CniIp Ip, bool IsNew);

/// <summary>
/// Picks one address of one range set for an attachment, with the store locked: the address it
/// already holds there (ADD is idempotent), else the requested one, else the next free one in
/// round-robin order.
/// </summary>
internal static class AddressAllocator
{
    public static Allocation Allocate(IReservationStore store, string network, RangeSet set, int index,
        Attachment owner, IPAddress? requested, IReadOnlyList<Reservation> held)
    {
        var already = held.FirstOrDefault(r => set.Contains(r.Address));
        if (already is not null)
        {
            if (requested is not null && !requested.Equals(already.Address))
                throw new CniException(CniErrorCode.InvalidEnvironment,
                    $"{owner} already holds {already.Address} in range set {index} ({set}) of network \"{network}\", not the requested {requested}");
            return new Allocation(IpFor(already.Address, set.RangeFor(already.Address)!), IsNew: false);
        }

        if (requested is not null)
        {
            var range = set.RangeFor(requested)!;
            if (requested.Equals(range.Gateway))
                throw new CniException(CniErrorCode.InvalidEnvironment,
                    $"requested IP address {requested} is the gateway of range set {index} ({set}) of network \"{network}\"");
            if (!store.TryReserve(requested, owner, index))
                throw new CniException(CniErrorCode.NoAddressesLeft,
                    $"requested IP address {requested} is not available in range set {index} ({set}) of network \"{network}\"");
            return new Allocation(IpFor(requested, range), IsNew: true);
        }

        foreach (var (address, range) in RoundRobinOrder.Candidates(set, store.LastReserved(index)))
            if (store.TryReserve(address, owner, index))
                return new Allocation(IpFor(address, range), IsNew: true);

        throw new CniException(CniErrorCode.NoAddressesLeft,
            $"no IP addresses available in range set: {set} (range set {index} of network \"{network}\")");
    }

    private static CniIp IpFor(IPAddress address, AddressRange range) =>
        new(new InterfaceAddress(address, range.Subnet.PrefixLength)) { Gateway = range.Gateway };
}
