namespace Kybernet.Overlay.Subnets;

/// <summary>Where in the store the overlay lives and how long a lease lasts without renewal.</summary>
public sealed record EtcdSubnetManagerOptions
{
    /// <summary>flannel's --etcd-prefix: the config is PREFIX/config, leases PREFIX/subnets/*.</summary>
    public string Prefix { get; init; } = "/coreos.com/network";

    /// <summary>A lease's lifetime without renewal (flannel: 24 h). Whole seconds, at least 1 s (etcd leases are in seconds).</summary>
    public TimeSpan LeaseTtl { get; init; } = TimeSpan.FromHours(24);
}
