namespace Kybernet.Kubelet.Pods.Dns;

/// <summary>
/// The node's side of pod DNS: the cluster DNS servers and domain (10.96.0.10, cluster.local), and the host's own
/// resolv.conf; <paramref name="HostResolvConfConfigured"/> false is upstream's --resolv-conf="" (no host resolver).
/// </summary>
public sealed record ClusterDnsOptions(
    IReadOnlyList<string> ClusterDnsServers,
    string ClusterDomain,
    PodDnsSettings HostResolvConf,
    bool HostResolvConfConfigured = true);
