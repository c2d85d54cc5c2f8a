using System.Net;
using System.Net.Sockets;

namespace Kybernet.Controllers.NodeIpam;

/// <summary>
/// The node CIDRs of one cluster CIDR (kube-controller-manager's cidrset): 10.244.0.0/16 cut into /24s, each free or
/// held by one node. Allocation takes the lowest free one. Pure bookkeeping: the controller decides what to trust.
/// </summary>
internal sealed class CidrSet
{
    /// <summary>Upstream's limit: at most 2^16 node CIDRs per cluster CIDR.</summary>
    public const int MaxBits = 16;

    private readonly uint _base;
    private readonly string?[] _owners;
    private readonly Dictionary<string, List<int>> _byNode = new(StringComparer.Ordinal);

    public CidrSet(IPNetwork cluster, int maskSize)
    {
        Validate(cluster, maskSize);
        Cluster = cluster;
        MaskSize = maskSize;
        _base = ToUInt32(cluster.BaseAddress);
        _owners = new string?[1 << (maskSize - cluster.PrefixLength)];
    }

    public IPNetwork Cluster { get; }
    public int MaskSize { get; }
    public int Count => _owners.Length;
    public int Used { get; private set; }

    /// <summary>Throws <see cref="ArgumentException"/> unless the pair makes sense (IPv4, mask inside the cluster CIDR, at most 2^16 subnets).</summary>
    public static void Validate(IPNetwork cluster, int maskSize)
    {
        if (cluster.BaseAddress.AddressFamily != AddressFamily.InterNetwork)
            throw new ArgumentException($"cluster CIDR {cluster} is not IPv4 (only IPv4 is supported for now)");
        if (maskSize < cluster.PrefixLength || maskSize > 32)
            throw new ArgumentException($"node CIDR mask size /{maskSize} does not fit in cluster CIDR {cluster}: it must be between {cluster.PrefixLength} and 32");
        if (maskSize - cluster.PrefixLength > MaxBits)
            throw new ArgumentException($"node CIDR mask size /{maskSize} cuts cluster CIDR {cluster} into more than 2^{MaxBits} node CIDRs: use a mask of at most /{cluster.PrefixLength + MaxBits}");
    }

    /// <summary>The lowest free node CIDR, now held by <paramref name="node"/>; null when every one is held.</summary>
    public IPNetwork? AllocateLowestFree(string node)
    {
        for (var i = 0; i < _owners.Length; i++)
        {
            if (_owners[i] is null)
            {
                Take(i, node);
                return At(i);
            }
        }
        return null;
    }

    /// <summary>
    /// Marks what <paramref name="cidr"/> covers as held by <paramref name="node"/> (a bigger CIDR covers several node
    /// CIDRs, a smaller one the node CIDR it lies in). Returns the other nodes already holding part of it (they keep
    /// it), or null when the CIDR is outside the cluster CIDR (nothing to mark).
    /// </summary>
    public IReadOnlyList<string>? Occupy(IPNetwork cidr, string node)
    {
        if (cidr.BaseAddress.AddressFamily != AddressFamily.InterNetwork)
            return null;
        ulong first = ToUInt32(cidr.BaseAddress);
        var last = first + (1UL << (32 - cidr.PrefixLength)) - 1;
        ulong clusterFirst = _base;
        var clusterLast = clusterFirst + (1UL << (32 - Cluster.PrefixLength)) - 1;
        if (last < clusterFirst || first > clusterLast)
            return null;
        first = Math.Max(first, clusterFirst);
        last = Math.Min(last, clusterLast);
        var shift = 32 - MaskSize;
        var others = new List<string>();
        for (var i = (int)((first - clusterFirst) >> shift); i <= (int)((last - clusterFirst) >> shift); i++)
        {
            if (_owners[i] is null)
                Take(i, node);
            else if (_owners[i] != node && !others.Contains(_owners[i]!))
                others.Add(_owners[i]!);
        }
        return others;
    }

    /// <summary>Frees every node CIDR <paramref name="node"/> holds; true if it held any.</summary>
    public bool Release(string node)
    {
        if (!_byNode.Remove(node, out var held))
            return false;
        foreach (var i in held)
            _owners[i] = null;
        Used -= held.Count;
        return true;
    }

    /// <summary>The node CIDRs <paramref name="node"/> holds, lowest first.</summary>
    public IReadOnlyList<IPNetwork> HeldBy(string node) =>
        _byNode.TryGetValue(node, out var held) ? [.. held.Order().Select(At)] : [];

    private void Take(int index, string node)
    {
        _owners[index] = node;
        if (!_byNode.TryGetValue(node, out var held))
            _byNode[node] = held = [];
        held.Add(index);
        Used++;
    }

    private IPNetwork At(int index) => new(FromUInt32(_base + ((uint)index << (32 - MaskSize))), MaskSize);

    private static uint ToUInt32(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return (uint)bytes[0] << 24 | (uint)bytes[1] << 16 | (uint)bytes[2] << 8 | bytes[3];
    }

    private static IPAddress FromUInt32(uint value) =>
        new([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);
}
