using Kybernet.Linux.Nftables;

namespace Kybernet.Linux.Tests.Nftables;

/// <summary>A small kube-proxy-shaped table, shared by the golden tests and the kernel tests so both check the same script.</summary>
internal static class KubeProxyLikeTable
{
    public static readonly NftTable Table = new(NftFamily.Ip, "kube-proxy") { Comment = "rules for Kybernet services" };

    public static readonly NftChain NatPrerouting = new(Table, "nat-prerouting")
    {
        Type = NftChainType.Nat,
        Hook = NftHook.Prerouting,
        Priority = "dstnat",
        Policy = NftPolicy.Accept,
    };

    public static readonly NftChain Services = new(Table, "services");
    public static readonly NftChain ApiService = new(Table, "service-ULMVA6XW-default/kubernetes/tcp/https");
    public static readonly NftChain DnsService = new(Table, "service-FGHZ2LQP-kube-system/kube-dns/udp/dns");

    public static readonly NftSet ClusterIps = new(Table, "cluster-ips", "ipv4_addr") { Comment = "active ClusterIPs" };

    public static readonly NftMap ServiceIps = new(Table, "service-ips", "ipv4_addr . inet_proto . inet_service", "verdict")
    {
        Comment = "ClusterIP traffic",
    };

    /// <summary>The first sync: everything created, one service.</summary>
    public static NftTransaction FirstSync() => new NftTransaction()
        .Add(Table)
        .Add(NatPrerouting)
        .Add(Services)
        .Add(ApiService)
        .Flush(Services)
        .Flush(ApiService)
        .Add(ClusterIps)
        .Add(ServiceIps)
        .Add(new NftRule(NatPrerouting, "jump services") { Comment = "kubernetes service portals" })
        .Add(new NftRule(Services, "ip daddr . meta l4proto . th dport vmap @service-ips"))
        .Add(new NftRule(ApiService, "meta l4proto tcp dnat to 10.244.1.5:6443") { Comment = "default/kubernetes:https -> 10.244.1.5:6443" })
        .Add(new NftElement(ClusterIps, "10.96.0.1"))
        .Add(new NftElement(ServiceIps, ["10.96.0.1", "tcp", "443"], $"goto {ApiService.Name}") { Comment = "default/kubernetes:https" });

    /// <summary>The second sync: the API service goes away, DNS arrives.</summary>
    public static NftTransaction SecondSync() => new NftTransaction()
        .Add(DnsService)
        .Flush(DnsService)
        .Add(new NftRule(DnsService, "meta l4proto udp dnat to 10.244.2.7:53"))
        .Add(new NftElement(ClusterIps, "10.96.0.10"))
        .Add(new NftElement(ServiceIps, ["10.96.0.10", "udp", "53"], $"goto {DnsService.Name}"))
        .Delete(new NftElement(ServiceIps, ["10.96.0.1", "tcp", "443"], null))
        .Delete(new NftElement(ClusterIps, "10.96.0.1"))
        .Flush(ApiService)
        .Delete(ApiService);
}
