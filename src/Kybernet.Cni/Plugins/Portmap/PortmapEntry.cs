using Kybernet.Linux.Nftables;

namespace Kybernet.Cni.Plugins.Portmap;

/// <summary>
/// One element of the portmap table, wanted or found: which map or set holds it (<see cref="Holder"/>),
/// its key parts (["tcp", "8080"]), its value for map elements ("10.244.1.2 . 80") and its owner.
/// </summary>
public sealed record PortmapEntry(string Holder, IReadOnlyList<string> Key, string? Value, PortmapAttachment? Owner)
{
    public string KeyText => string.Join(" . ", Key);

    public bool IsHostPort => Holder == PortmapTable.HostPorts.Name || Holder == PortmapTable.HostIpHostPorts.Name;

    /// <summary>The host address for a host-IP mapping; null for any address (and for hairpin entries).</summary>
    public string? HostIp => Holder == PortmapTable.HostIpHostPorts.Name ? Key[0] : null;

    /// <summary>(protocol, port) of a host-port entry: the part two mappings must not share.</summary>
    public (string Protocol, string Port) PortSlot => Holder == PortmapTable.HostIpHostPorts.Name ? (Key[1], Key[2]) : (Key[0], Key[1]);

    /// <summary>Same holder and key: the kernel keeps one element per slot.</summary>
    public bool SameSlot(PortmapEntry other) => Holder == other.Holder && KeyText == other.KeyText;

    /// <summary>Same slot and value (the owner, kept in a comment, does not change what the element does).</summary>
    public bool SameElement(PortmapEntry other) => SameSlot(other) && Value == other.Value;

    /// <summary>"host port 8080/tcp -> 10.244.1.2:80" or "hairpin masquerade for 10.244.1.2".</summary>
    public string Describe()
    {
        if (!IsHostPort)
            return $"hairpin masquerade for {Key[0]}";
        var (protocol, port) = PortSlot;
        var host = HostIp is { } ip ? $"{ip}:{port}" : port;
        return $"host port {host}/{protocol} -> {Value?.Replace(" . ", ":")}";
    }

    public NftElement ToElement()
    {
        var comment = Owner?.Comment;
        if (Holder == PortmapTable.HostPorts.Name)
            return new NftElement(PortmapTable.HostPorts, Key, Value) { Comment = comment };
        if (Holder == PortmapTable.HostIpHostPorts.Name)
            return new NftElement(PortmapTable.HostIpHostPorts, Key, Value) { Comment = comment };
        if (Holder == PortmapTable.Hairpins.Name)
            return new NftElement(PortmapTable.Hairpins, Key) { Comment = comment };
        throw new InvalidOperationException($"{Holder} is not a map or set of table {PortmapTable.Table.Name}");
    }

    /// <summary>Every element of the table's maps and set as the kernel listed them; none when there is no table.</summary>
    public static IReadOnlyList<PortmapEntry> ReadAll(NftTableState? table)
    {
        if (table is null)
            return [];
        var entries = new List<PortmapEntry>();
        foreach (var holder in PortmapTable.ElementHolders)
        {
            var state = table.FindMap(holder) ?? table.FindSet(holder);
            foreach (var element in state?.Elements ?? [])
                entries.Add(new PortmapEntry(holder, element.Key.Split(" . "), element.Value, PortmapAttachment.FromComment(element.Comment)));
        }
        return entries;
    }
}
