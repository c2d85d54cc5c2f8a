using k8s.Models;
using Kybernet.Kubelet.Pods.Dns;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Kubelet.Tests.Pods.Dns;

public sealed class PodDnsPolicyTests
{
    private const string HostResolvConf = """
        # written by the node's resolver
        nameserver 192.168.1.1
        nameserver 192.168.1.2
        search corp.example. lab.example .
        options timeout:2 ndots:1
        ; comment
        """;

    private static readonly ClusterDnsOptions Cluster = new(["10.96.0.10"], "cluster.local", ResolvConf.Parse(HostResolvConf));

    private static V1Pod Pod(string? policy = null, bool hostNetwork = false, V1PodDNSConfig? config = null)
    {
        var pod = TestPods.Pod("web", "shop");
        pod.Spec.DnsPolicy = policy;
        pod.Spec.HostNetwork = hostNetwork;
        pod.Spec.DnsConfig = config;
        return pod;
    }

    private static PodDnsSettings For(V1Pod pod, ClusterDnsOptions? options = null, List<string>? warnings = null) =>
        new PodDnsPolicy(options ?? Cluster, NullLogger.Instance).For(pod, warnings);

    [Fact]
    public void Host_resolv_conf_is_parsed_like_upstream()
    {
        var host = ResolvConf.Parse(HostResolvConf);
        Assert.Equal(["192.168.1.1", "192.168.1.2"], host.Servers);
        Assert.Equal(["corp.example", "lab.example"], host.Searches);
        Assert.Equal(["timeout:2", "ndots:1"], host.Options);
    }

    [Fact]
    public void ClusterFirst_uses_the_cluster_server_and_searches_then_the_hosts()
    {
        var dns = For(Pod("ClusterFirst"));
        Assert.Equal(["10.96.0.10"], dns.Servers);
        Assert.Equal(["shop.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example", "lab.example"], dns.Searches);
        Assert.Equal(["ndots:5"], dns.Options);
        Assert.Equal("search shop.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example\nnameserver 10.96.0.10\noptions ndots:5\n", dns.ToResolvConf());
        Assert.Equal(dns.ToResolvConf(), For(Pod(null)).ToResolvConf()); // ClusterFirst is the default
    }

    [Fact]
    public void HostNetwork_with_ClusterFirst_falls_back_to_the_hosts_but_ClusterFirstWithHostNet_does_not()
    {
        var fallback = For(Pod("ClusterFirst", hostNetwork: true));
        Assert.Equal(["192.168.1.1", "192.168.1.2"], fallback.Servers);
        Assert.Equal(["corp.example", "lab.example"], fallback.Searches);
        Assert.Equal(["timeout:2", "ndots:1"], fallback.Options);

        Assert.Equal(["10.96.0.10"], For(Pod("ClusterFirstWithHostNet", hostNetwork: true)).Servers);
    }

    [Fact]
    public void Default_is_the_hosts_and_None_is_only_dnsConfig()
    {
        Assert.Equal(["192.168.1.1", "192.168.1.2"], For(Pod("Default")).Servers);

        var none = For(Pod("None", config: new() { Nameservers = ["1.1.1.1"], Searches = ["a.example"], Options = [new() { Name = "ndots", Value = "2" }, new() { Name = "edns0" }] }));
        Assert.Equal(new PodDnsSettings(["1.1.1.1"], ["a.example"], ["ndots:2", "edns0"]).ToResolvConf(), none.ToResolvConf());
    }

    [Fact]
    public void DnsConfig_merges_without_duplicates_and_its_options_replace_by_name()
    {
        var dns = For(Pod("ClusterFirst", config: new()
        {
            Nameservers = ["10.96.0.10", "9.9.9.9"],
            Searches = ["cluster.local", "extra.example"],
            Options = [new() { Name = "ndots", Value = "2" }, new() { Name = "single-request-reopen" }],
        }));
        Assert.Equal(["10.96.0.10", "9.9.9.9"], dns.Servers);
        Assert.Equal(["shop.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example", "lab.example", "extra.example"], dns.Searches);
        Assert.Equal(["ndots:2", "single-request-reopen"], dns.Options);
    }

    [Fact]
    public void Limits_cut_nameservers_to_three_and_searches_to_32_and_2048_characters_with_a_warning()
    {
        var warnings = new List<string>();
        var many = For(Pod("None", config: new()
        {
            Nameservers = ["1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4"],
            Searches = Enumerable.Range(0, 40).Select(i => $"d{i}.example").ToList(),
        }), warnings: warnings);
        Assert.Equal(["1.1.1.1", "2.2.2.2", "3.3.3.3"], many.Servers);
        Assert.Equal(32, many.Searches.Count);
        Assert.Equal("d31.example", many.Searches[^1]);
        Assert.Equal("Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 1.1.1.1 2.2.2.2 3.3.3.3", warnings[0]);
        Assert.StartsWith("Search Line limits were exceeded, some search paths have been omitted, the applied search line is: d0.example d1.example", warnings[1]);

        string longDomain = string.Join('.', Enumerable.Repeat(new string('x', 62), 4)); // 251 characters
        var chars = For(Pod("None", config: new() { Searches = Enumerable.Range(0, 10).Select(i => $"{i}{longDomain}").ToList() }));
        Assert.Equal(8, chars.Searches.Count); // 8 * 253 - 1 = 2023 <= 2048 < 9 * 253 - 1
        Assert.True(string.Join(" ", chars.Searches).Length <= PodDnsPolicy.MaxSearchLineChars);

        var tooLong = For(Pod("None", config: new() { Searches = ["ok.example", new string('y', 254)] }));
        Assert.Equal(["ok.example"], tooLong.Searches);
    }

    [Fact]
    public void No_cluster_dns_server_falls_back_to_the_hosts_with_a_warning()
    {
        var warnings = new List<string>();
        var dns = For(Pod("ClusterFirst"), Cluster with { ClusterDnsServers = [] }, warnings);
        Assert.Equal(["192.168.1.1", "192.168.1.2"], dns.Servers);
        Assert.Contains("Falling back to \"Default\" policy", warnings.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void No_host_resolv_conf_means_localhost_and_no_search()
    {
        var dns = For(Pod("Default"), Cluster with { HostResolvConf = PodDnsSettings.Empty, HostResolvConfConfigured = false });
        Assert.Equal(["127.0.0.1"], dns.Servers);
        Assert.Equal(["."], dns.Searches);
    }
}
