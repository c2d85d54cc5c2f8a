using System.Buffers.Binary;
using System.Collections.Frozen;
using System.Net;
using System.Net.Sockets;

namespace Kybernet.Overlay.Backends;

/// <summary>A node's udp endpoint as the data path uses it: IPv4 address and port in host byte order.</summary>
public readonly record struct UdpPeer(uint Address, ushort Port)
{
    public static UdpPeer From(IPEndPoint endPoint)
    {
        Span<byte> bytes = stackalloc byte[4];
        if (endPoint.AddressFamily != AddressFamily.InterNetwork || !endPoint.Address.TryWriteBytes(bytes, out _))
            throw new ArgumentException($"{endPoint} is not IPv4", nameof(endPoint));
        return new UdpPeer(BinaryPrimitives.ReadUInt32BigEndian(bytes), (ushort)endPoint.Port);
    }

    public IPEndPoint ToEndPoint()
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, Address);
        return new IPEndPoint(new IPAddress(bytes), Port);
    }
}

/// <summary>
/// Which node owns which subnet, for the udp data path: an immutable snapshot mapping each remote lease's
/// IPv4 subnet to the node's UDP endpoint. Lookups take the packet's destination as a host-order number and
/// allocate nothing; <see cref="UdpNetwork.Apply"/> builds a new table and swaps it in whole.
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
            if (!map.TryAdd(Key(Network(subnet), subnet.PrefixLength), UdpPeer.From(node)))
                throw new ArgumentException($"udp lease table: {subnet} appears twice", nameof(entries));
        }
        int[] lengths = [.. list.Select(e => e.Subnet.PrefixLength).Distinct().OrderDescending()];
        return new UdpLeaseTable(map.ToFrozenDictionary(), lengths, list);
    }

    /// <summary>The endpoint of the node whose subnet holds <paramref name="destination"/> (host byte order), or null.</summary>
    public UdpPeer? Find(uint destination)
    {
        foreach (int length in _prefixLengths)
        {
            uint mask = length == 0 ? 0 : uint.MaxValue << (32 - length);
            if (_bySubnet.TryGetValue(Key(destination & mask, length), out var node))
                return node;
        }
        return null;
    }

    /// <summary>The endpoint for an address, as tests and tools ask it.</summary>
    public IPEndPoint? Find(IPAddress destination)
    {
        Span<byte> bytes = stackalloc byte[4];
        if (destination.AddressFamily != AddressFamily.InterNetwork || !destination.TryWriteBytes(bytes, out _))
            return null;
        return Find(BinaryPrimitives.ReadUInt32BigEndian(bytes))?.ToEndPoint();
    }

    /// <summary>Whether both tables send the same subnets to the same endpoints (so a swap would change nothing).</summary>
    public bool SameAs(UdpLeaseTable other) =>
        Count == other.Count && Entries.All(e => other.Entries.Contains(e));

    private static uint Network(IPNetwork subnet)
    {
        Span<byte> bytes = stackalloc byte[4];
        subnet.BaseAddress.TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    private static ulong Key(uint network, int prefixLength) => ((ulong)(uint)prefixLength << 32) | network;
}
