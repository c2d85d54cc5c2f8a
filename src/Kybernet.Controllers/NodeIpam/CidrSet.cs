using System.Net;
using System.Net.Sockets;
using Kybernet.Net;

namespace Kybernet.Controllers.NodeIpam;

/// <summary>
/// The node CIDRs of one cluster CIDR (kube-controller-manager's cidrset): 10.244.0.0/16 cut into /24s, each free or
/// held by one node. Allocation takes the lowest free one. Pure bookkeeping: the controller decides what to trust.
/// </summary>
internal sealed class CidrSet
{
    /// <summary>Upstream's limit: at most 2^16 node CIDRs per cluster CIDR.</summary>
    public const int MaxBits = 16;

    private readonly Ipv4Cidr _cluster;
    private readonly string?[] _owners;
    private readonly Dictionary<string, List<int>> _byNode = new(StringComparer.Ordinal);

    public CidrSet(IPNetwork cluster, int maskSize)
    {
        Validate(cluster, maskSize);
        Cluster = cluster;
        MaskSize = maskSize;
        _cluster = Ipv4Cidr.From(cluster);
        _owners = new string?[_cluster.SubnetCount(maskSize)];
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
        if (!Ipv4Cidr.TryFrom(cidr, out var claimed) || !claimed.Overlaps(_cluster))
            return null;
        // CIDRs overlap only by nesting: the part inside the cluster CIDR is the claim, or the whole cluster CIDR.
        var inside = _cluster.Contains(claimed) ? claimed : _cluster;
        var first = (int)_cluster.SubnetIndexOf(inside.NetworkAddress, MaskSize);
        var last = (int)_cluster.SubnetIndexOf(inside.BroadcastAddress, MaskSize);
        var others = new List<string>();
        for (var i = first; i <= last; i++)
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

    private IPNetwork At(int index) => _cluster.Subnet(MaskSize, (ulong)index).ToIPNetwork();
}
