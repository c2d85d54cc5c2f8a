using System.Net;
using Kybernet.Linux.Nftables;

namespace Kybernet.Overlay.Agent;

/// <summary>
/// flannel's ipMasq in nftables: traffic from the pod network to anywhere outside it leaves the node with the
/// node's address. One table (<c>ip kybernet-overlay</c>) rewritten whole in one transaction, so applying it again
/// changes nothing; pod-to-pod traffic across nodes keeps its source.
/// </summary>
public static class PodNetworkMasquerade
{
    public const string TableName = "kybernet-overlay";

    public static readonly NftTable Table = new(NftFamily.Ip, TableName);

    private static readonly NftChain Postrouting = new(Table, "postrouting")
    {
        Type = NftChainType.Nat,
        Hook = NftHook.Postrouting,
        Priority = "srcnat",
        Policy = NftPolicy.Accept,
    };

    /// <summary>The table with exactly one rule: <c>ip saddr NETWORK ip daddr != NETWORK masquerade</c>.</summary>
    public static NftTransaction Ensure(IPNetwork network) => new NftTransaction()
        .Add(Table).Add(Postrouting).Flush(Postrouting)
        .Add(new NftRule(Postrouting, $"ip saddr {network} ip daddr != {network} masquerade"));

    /// <summary>No table (ipMasq off); nothing if it is absent already.</summary>
    public static NftTransaction Remove() => new NftTransaction().Add(Table).Delete(Table);
}
