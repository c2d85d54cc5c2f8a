using Kybernet.Linux.Nftables;

namespace Kybernet.Cni.Plugins.Portmap;

/// <summary>
/// The one nftables table kybernet-portmap owns in a node's namespace. Its chains are fixed; what
/// changes per container are the elements of two verdict-free DNAT maps and one hairpin set:
/// <code>
/// table ip kybernet-portmap
///   map hostports          inet_proto . inet_service            : ipv4_addr . inet_service   (any local address)
///   map hostip-hostports   ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service   (one host address)
///   set hairpins           ipv4_addr . ipv4_addr                 (container IP . container IP)
///   chain prerouting   nat/prerouting  dstnat: local destinations DNAT through the maps (host-IP map first)
///   chain output       nat/output      -100:   the same for connections the node opens itself
///   chain postrouting  nat/postrouting srcnat: masquerade a container reaching itself through its host port
/// </code>
/// Every element's comment names its owner ("CONTAINERID/IFNAME", see <see cref="PortmapAttachment"/>).
/// </summary>
public static class PortmapTable
{
    public static readonly NftTable Table = new(NftFamily.Ip, "kybernet-portmap")
    {
        Comment = "host ports of Kybernet pods",
    };

    public static readonly NftMap HostPorts = new(Table, "hostports", "inet_proto . inet_service", "ipv4_addr . inet_service")
    {
        Comment = "host port on any local address -> container address and port",
    };

    public static readonly NftMap HostIpHostPorts = new(Table, "hostip-hostports", "ipv4_addr . inet_proto . inet_service", "ipv4_addr . inet_service")
    {
        Comment = "host port on one host address -> container address and port",
    };

    public static readonly NftSet Hairpins = new(Table, "hairpins", "ipv4_addr . ipv4_addr")
    {
        Comment = "container to itself through its host port: masqueraded",
    };

    public static readonly NftChain Prerouting = new(Table, "prerouting")
    {
        Type = NftChainType.Nat,
        Hook = NftHook.Prerouting,
        Priority = "dstnat",
    };

    /// <summary>nft 1.0.6 accepts the name "dstnat" only at the prerouting hook; -100 is the same priority.</summary>
    public static readonly NftChain Output = new(Table, "output")
    {
        Type = NftChainType.Nat,
        Hook = NftHook.Output,
        Priority = "-100",
    };

    public static readonly NftChain Postrouting = new(Table, "postrouting")
    {
        Type = NftChainType.Nat,
        Hook = NftHook.Postrouting,
        Priority = "srcnat",
    };

    private const string LocalDestination = "fib daddr type local";
    private static readonly string DnatHostIpPorts = $"{LocalDestination} dnat ip to ip daddr . meta l4proto . th dport map @{HostIpHostPorts.Name}";
    private static readonly string DnatHostPorts = $"{LocalDestination} dnat ip to meta l4proto . th dport map @{HostPorts.Name}";
    private static readonly string MasqueradeHairpins = $"ct status dnat ip saddr . ip daddr @{Hairpins.Name} masquerade";

    /// <summary>The sets and maps by name, for reading a listing back.</summary>
    public static IReadOnlyList<string> ElementHolders { get; } = [HostPorts.Name, HostIpHostPorts.Name, Hairpins.Name];

    /// <summary>
    /// Creates the table, maps, set and chains if missing (add is a no-op for existing ones) and
    /// rewrites the chains' rules (flush, then add), so running it for every ADD never duplicates a
    /// rule and always leaves the current rules. Elements are untouched.
    /// </summary>
    public static NftTransaction AddSkeleton(NftTransaction transaction)
    {
        transaction.Add(Table).Add(HostPorts).Add(HostIpHostPorts).Add(Hairpins);
        foreach (var chain in new[] { Prerouting, Output, Postrouting })
            transaction.Add(chain).Flush(chain);
        return transaction
            .Add(new NftRule(Prerouting, DnatHostIpPorts))
            .Add(new NftRule(Prerouting, DnatHostPorts))
            .Add(new NftRule(Output, DnatHostIpPorts))
            .Add(new NftRule(Output, DnatHostPorts))
            .Add(new NftRule(Postrouting, MasqueradeHairpins));
    }
}
