using Kybernet.Linux.Netlink;
using Kybernet.Linux.Nftables;

namespace Kybernet.Cni.Plugins.Bridge;

/// <summary>
/// ipMasq with nftables instead of the reference's iptables chains: one table for every container,
/// a set of container addresses to masquerade, and a set of (address . own subnet) pairs that are
/// left alone, so pod-to-pod traffic on the subnet keeps its source. Elements carry a comment naming
/// the network and container, which is how DEL and GC find them without saved state.
/// </summary>
public static class IpMasquerade
{
    public static readonly NftTable Table = new(NftFamily.Ip, "kybernet-bridge");
    private static readonly NftSet Sources = new(Table, "masq-sources", "ipv4_addr");
    private static readonly NftSet LocalTraffic = new(Table, "masq-local", "ipv4_addr . ipv4_addr") { Flags = ["interval"] };
    private static readonly NftChain Postrouting = new(Table, "postrouting")
    {
        Type = NftChainType.Nat,
        Hook = NftHook.Postrouting,
        Priority = "srcnat",
        Policy = NftPolicy.Accept,
    };

    public static string Owner(string network, string containerId) => $"{network} {containerId}";

    /// <summary>The table, sets and chain (rules rewritten whole, so repeating this changes nothing), plus this container's elements.</summary>
    public static NftTransaction Add(string owner, IEnumerable<InterfaceAddress> addresses)
    {
        var tx = new NftTransaction().Add(Table).Add(Sources).Add(LocalTraffic).Add(Postrouting).Flush(Postrouting)
            .Add(new NftRule(Postrouting, "ip saddr . ip daddr @masq-local return"))
            .Add(new NftRule(Postrouting, "ip saddr @masq-sources ip daddr != 224.0.0.0/4 masquerade"));
        foreach (var address in IPv4(addresses))
        {
            tx.Add(new NftElement(Sources, address.Address.ToString()) { Comment = owner });
            tx.Add(new NftElement(LocalTraffic, $"{address.Address} . {address.Network}") { Comment = owner });
        }
        return tx;
    }

    /// <summary>Removes every element that belongs to <paramref name="owner"/>; nothing if the table is absent.</summary>
    public static void Remove(INftables nft, string owner) => OwnedElements.Remove(nft, Table, [Sources, LocalTraffic], owner);

    /// <summary>The addresses currently masqueraded for <paramref name="owner"/>.</summary>
    public static IReadOnlyList<string> Find(INftables nft, string owner) =>
        nft.ListTable(Table.Family, Table.Name)?.FindSet(Sources.Name)?.Elements.Where(e => e.Comment == owner).Select(e => e.Key).ToList() ?? [];

    /// <summary>Owners (network, container) that have elements, for GC.</summary>
    public static IReadOnlyList<string> Owners(INftables nft) =>
        nft.ListTable(Table.Family, Table.Name)?.FindSet(Sources.Name)?.Elements.Select(e => e.Comment).OfType<string>().Distinct().ToList() ?? [];

    private static IEnumerable<InterfaceAddress> IPv4(IEnumerable<InterfaceAddress> addresses) =>
        addresses.Where(a => a.Family == System.Net.Sockets.AddressFamily.InterNetwork);
}
