using System.Collections.Frozen;
using System.Net;
using System.Net.Sockets;
using Kybernet.Net;

namespace Kybernet.Overlay.Backends;

/// <summary>A node's udp endpoint as the data path uses it: IPv4 address and port (a number in host byte order).</summary>
public readonly record struct UdpPeer(Ipv4Address Address, ushort Port)
{
    public static UdpPeer From(IPEndPoint endPoint) =>
        endPoint.AddressFamily == AddressFamily.InterNetwork && Ipv4Address.TryFrom(endPoint.Address, out var address)
            ? new UdpPeer(address, (ushort)endPoint.Port)
            : throw new ArgumentException($"{endPoint} is not IPv4", nameof(endPoint));

    public IPEndPoint ToEndPoint() => new(Address.ToIPAddress(), Port);
}

/// <summary>
/// Which node owns which subnet, for the udp data path: an immutable snapshot mapping each remote lease's
/// IPv4 subnet to the node's UDP endpoint. Lookups take the packet's destination address and allocate
/// nothing; <see cref="UdpNetwork.Apply"/> builds a new table and swaps it in whole.
/// </summary>
public sealed class UdpLeaseTable
{
    public static readonly UdpLeaseTable Empty = new(FrozenDictionary<ulong, UdpPeer>.Empty, [], []);

    // Key: (prefix length << 32) | network address, so subnets of different lengths never collide.
    private readonly FrozenDictionary<ulong, UdpPeer> _bySubnet;
    private readonly int[] _prefixLengths; // longest first: the most specific subnet wins

    private UdpLeaseTable(FrozenDictionary<ulong, UdpPeer> bySubnet, int[] prefixLengths, IReadOnlyList<(IPNetwork, IPEndPoint)> entries)
    {
        _bySubnet = bySubnet;
        _prefixLengths = prefixLengths;
        Entries = entries;
    }

    /// <summary>The table's content, subnet by subnet, in the order it was built.</summary>
    public IReadOnlyList<(IPNetwork Subnet, IPEndPoint Node)> Entries { get; }

    public int Count => Entries.Count;

    /// <summary>Builds a table from (IPv4 subnet, node endpoint) pairs; subnets must be distinct.</summary>
    public static UdpLeaseTable Build(IEnumerable<(IPNetwork Subnet, IPEndPoint Node)> entries)
    {
        var list = entries.ToList();
        if (list.Count == 0)
            return Empty;
        var map = new Dictionary<ulong, UdpPeer>();
        foreach (var (subnet, node) in list)
        {
            if (subnet.BaseAddress.AddressFamily != AddressFamily.InterNetwork || node.AddressFamily != AddressFamily.InterNetwork)
                throw new ArgumentException($"udp lease table: {subnet} -> {node} is not IPv4", nameof(entries));
            if (!map.TryAdd(Key(Ipv4Cidr.From(subnet)), UdpPeer.From(node)))
                throw new ArgumentException($"udp lease table: {subnet} appears twice", nameof(entries));
        }
        int[] lengths = [.. list.Select(e => e.Subnet.PrefixLength).Distinct().OrderDescending()];
        return new UdpLeaseTable(map.ToFrozenDictionary(), lengths, list);
    }

    /// <summary>The endpoint of the node whose subnet holds <paramref name="destination"/>, or null.</summary>
    public UdpPeer? Find(Ipv4Address destination)
    {
        foreach (int length in _prefixLengths)
        {
            if (_bySubnet.TryGetValue(Key(new Ipv4Cidr(destination, length).Network), out var node))
                return node;
        }
        return null;
    }

    /// <summary>The endpoint for an address, as tests and tools ask it.</summary>
    public IPEndPoint? Find(IPAddress destination) =>
        Ipv4Address.TryFrom(destination, out var address) ? Find(address)?.ToEndPoint() : null;

    /// <summary>Whether both tables send the same subnets to the same endpoints (so a swap would change nothing).</summary>
    public bool SameAs(UdpLeaseTable other) =>
        Count == other.Count && Entries.All(e => other.Entries.Contains(e));

    private static ulong Key(Ipv4Cidr network) => ((ulong)(uint)network.PrefixLength << 32) | network.Address.Value;
}
