namespace Kybernet.Overlay.Subnets;

/// <summary>Where in the store the overlay lives and how long a lease lasts without renewal.</summary>
public sealed record EtcdSubnetManagerOptions
{
    /// <summary>flannel's default --etcd-prefix.</summary>
    public const string DefaultPrefix = "/coreos.com/network";

    /// <summary>flannel's lease lifetime: a node that dies keeps its subnet for a day.</summary>
    public static readonly TimeSpan DefaultLeaseTtl = TimeSpan.FromHours(24);

    /// <summary>flannel's --etcd-prefix: the config is PREFIX/config, leases PREFIX/subnets/*.</summary>
    public string Prefix { get; init; } = DefaultPrefix;

    /// <summary>A lease's lifetime without renewal (flannel: 24 h). Whole seconds, at least 1 s (etcd leases are in seconds).</summary>
    public TimeSpan LeaseTtl { get; init; } = DefaultLeaseTtl;
}
