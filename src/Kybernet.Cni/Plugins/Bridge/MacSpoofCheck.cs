using Kybernet.Linux.Nftables;

namespace Kybernet.Cni.Plugins.Bridge;

/// <summary>
/// macspoofchk: frames entering the bridge from a checked port must carry the container's own MAC.
/// A bridge-family table with a set of checked ports and a set of allowed (port . MAC) pairs; elements
/// carry their owner in a comment, as for <see cref="IpMasquerade"/>.
/// </summary>
public static class MacSpoofCheck
{
    public static readonly NftTable Table = new(NftFamily.Bridge, "kybernet-bridge");
    private static readonly NftSet Ports = new(Table, "checked-ports", "ifname");
    private static readonly NftSet Allowed = new(Table, "allowed-macs", "ifname . ether_addr");
    private static readonly NftChain Prerouting = new(Table, "prerouting")
    {
        Type = NftChainType.Filter,
        Hook = NftHook.Prerouting,
        Priority = "-300",
        Policy = NftPolicy.Accept,
    };

    public static NftTransaction Add(string owner, string hostVeth, string containerMac) =>
        new NftTransaction().Add(Table).Add(Ports).Add(Allowed).Add(Prerouting).Flush(Prerouting)
            .Add(new NftRule(Prerouting, "iifname @checked-ports iifname . ether saddr != @allowed-macs drop"))
            .Add(new NftElement(Ports, hostVeth) { Comment = owner })
            .Add(new NftElement(Allowed, $"{hostVeth} . {containerMac}") { Comment = owner });

    public static void Remove(INftables nft, string owner) => OwnedElements.Remove(nft, Table, [Ports, Allowed], owner);

    public static bool Has(INftables nft, string owner) =>
        nft.ListTable(Table.Family, Table.Name)?.FindSet(Ports.Name)?.Elements.Any(e => e.Comment == owner) == true;
}
