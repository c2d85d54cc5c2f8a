using Kybernet.Linux.Nftables;

namespace Kybernet.Cni.Plugins.Bridge;

/// <summary>
/// Set elements whose comment names their owner ("NETWORK CONTAINERID"): how the bridge plugin's
/// nftables state is found again on DEL and GC without any state of its own.
/// </summary>
public static class OwnedElements
{
    /// <summary>Deletes every element of <paramref name="sets"/> owned by <paramref name="owner"/>, in one transaction; nothing if the table is absent.</summary>
    public static void Remove(INftables nft, NftTable table, IEnumerable<NftSet> sets, string owner)
    {
        var state = nft.ListTable(table.Family, table.Name);
        if (state is null)
            return;
        var tx = new NftTransaction();
        foreach (var set in sets)
            foreach (var e in state.FindSet(set.Name)?.Elements.Where(e => e.Comment == owner) ?? [])
                tx.Delete(new NftElement(set, e.Key));
        if (!tx.IsEmpty)
            nft.Apply(tx);
    }
}
