using System.Net;
using Kybernet.Linux.Nftables;

namespace Kybernet.Cni.Plugins.Portmap;

/// <summary>
/// The pure half of the plugin: which elements a container should have, and the one transaction
/// that gets the kernel from what it has (a listing) to that. Nothing here touches the kernel.
/// </summary>
public static class PortmapPlanner
{
    /// <summary>The elements for a container's mappings: one map element per mapping, plus its hairpin when snat is on.</summary>
    public static IReadOnlyList<PortmapEntry> Desired(PortmapAttachment owner, IPAddress containerIp, PortmapConfig config)
    {
        var entries = new List<PortmapEntry>();
        foreach (var m in config.Mappings)
        {
            var value = $"{containerIp} . {m.ContainerPort}";
            entries.Add(m.HostIp is null
                ? new PortmapEntry(PortmapTable.HostPorts.Name, [m.Protocol.ToNft(), $"{m.HostPort}"], value, owner)
                : new PortmapEntry(PortmapTable.HostIpHostPorts.Name, [m.HostIp.ToString(), m.Protocol.ToNft(), $"{m.HostPort}"], value, owner));
        }
        if (config.Snat && entries.Count > 0)
            entries.Add(new PortmapEntry(PortmapTable.Hairpins.Name, [containerIp.ToString(), containerIp.ToString()], null, owner));
        return entries;
    }

    /// <summary>
    /// The ADD transaction: the table's skeleton, this owner's stale elements removed, the wanted ones
    /// added. Throws the "host port taken" error (nothing applied) when another owner holds a wanted
    /// port: same protocol and port, and the same host address or either one on any address.
    /// A hairpin element left by another owner for the same container address is taken over.
    /// </summary>
    public static NftTransaction Add(PortmapAttachment owner, IReadOnlyList<PortmapEntry> desired, IReadOnlyList<PortmapEntry> existing)
    {
        foreach (var wanted in desired.Where(d => d.IsHostPort))
        {
            var holder = existing.FirstOrDefault(e => e.IsHostPort && e.Owner != owner && e.PortSlot == wanted.PortSlot
                && (e.HostIp is null || wanted.HostIp is null || e.HostIp == wanted.HostIp));
            if (holder is not null)
                throw PortmapErrors.HostPortTaken(owner, wanted, holder);
        }

        var stale = existing.Where(e =>
            e.Owner == owner ? !desired.Any(e.SameElement) : !e.IsHostPort && desired.Any(e.SameSlot));
        var transaction = PortmapTable.AddSkeleton(new NftTransaction());
        AddRemovals(transaction, stale);
        foreach (var entry in desired)
            transaction.Add(entry.ToElement());
        return transaction;
    }

    /// <summary>
    /// Removes the entries. Each is added, then deleted: adding an element that is there is a no-op,
    /// so the delete cannot fail on an element a concurrent DEL already removed.
    /// </summary>
    public static NftTransaction Remove(IEnumerable<PortmapEntry> entries) => AddRemovals(new NftTransaction(), entries);

    /// <summary>The first wanted element the kernel does not have (same slot, value and owner), or null.</summary>
    public static PortmapEntry? FirstMissing(IReadOnlyList<PortmapEntry> desired, IReadOnlyList<PortmapEntry> existing) =>
        desired.FirstOrDefault(d => !existing.Any(e => e.SameElement(d) && e.Owner == d.Owner));

    private static NftTransaction AddRemovals(NftTransaction transaction, IEnumerable<PortmapEntry> entries)
    {
        foreach (var entry in entries)
        {
            var element = entry.ToElement();
            transaction.Add(element).Delete(element);
        }
        return transaction;
    }
}
