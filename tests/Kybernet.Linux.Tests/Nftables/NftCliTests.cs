using Kybernet.Linux.Nftables;
using static Kybernet.Linux.Tests.Nftables.KubeProxyLikeTable;

namespace Kybernet.Linux.Tests.Nftables;

/// <summary>
/// Against the real kernel, always inside a throwaway namespace. Every test also checks that the
/// root namespace's ruleset is exactly what it was before.
/// </summary>
public class NftCliTests
{
    [Fact]
    public void Applied_transaction_reads_back_as_tables_chains_rules_and_elements()
    {
        InThrowawayNamespace((ns, nft) =>
        {
            nft.Apply(FirstSync());

            var table = nft.ListTable(NftFamily.Ip, "kube-proxy");
            Assert.NotNull(table);
            Assert.Equal(["nat-prerouting", "services", ApiService.Name], table.Chains.Select(c => c.Name));

            var prerouting = table.FindChain("nat-prerouting")!;
            Assert.Equal(("nat", "prerouting", -100, "accept"), (prerouting.Type, prerouting.Hook, prerouting.Priority, prerouting.Policy));
            var jump = Assert.Single(prerouting.Rules);
            Assert.Equal("kubernetes service portals", jump.Comment);
            Assert.Equal("""[{"jump":{"target":"services"}}]""", jump.ExpressionsJson.Replace(" ", ""));
            Assert.Contains("\"vmap\"", Assert.Single(table.FindChain("services")!.Rules).ExpressionsJson);
            Assert.Null(table.FindChain("services")!.Hook);

            var clusterIps = table.FindSet("cluster-ips")!;
            Assert.Equal(("ipv4_addr", null, "active ClusterIPs"), (clusterIps.KeyType, clusterIps.ValueType, clusterIps.Comment));
            Assert.Equal([new NftElementState("10.96.0.1", null, null)], clusterIps.Elements);

            var serviceIps = table.FindMap("service-ips")!;
            Assert.True(serviceIps.IsMap);
            Assert.Equal(("ipv4_addr . inet_proto . inet_service", "verdict"), (serviceIps.KeyType, serviceIps.ValueType));
            Assert.Equal([new NftElementState("10.96.0.1 . tcp . 443", $"goto {ApiService.Name}", "default/kubernetes:https")], serviceIps.Elements);

            // Cross-check with nft run by ip netns exec: the table is in this namespace...
            var viaIp = Tool.Run("ip", "netns", "exec", ns.Name, "nft", "list", "table", "ip", "kube-proxy");
            Assert.Contains("jump services comment \"kubernetes service portals\"", viaIp);
            Assert.Equal(viaIp, nft.ListTableText(NftFamily.Ip, "kube-proxy"));
            // ...and not in the namespace the test runs in.
            Assert.DoesNotContain("kube-proxy", Tool.Run("nft", "list", "tables"));
        });
    }

    [Fact]
    public void Second_transaction_modifies_elements_and_chains()
    {
        InThrowawayNamespace((ns, nft) =>
        {
            nft.Apply(FirstSync());
            nft.Apply(SecondSync());

            var table = nft.ListTable(NftFamily.Ip, "kube-proxy")!;
            Assert.Equal(["nat-prerouting", "services", DnsService.Name], table.Chains.Select(c => c.Name));
            Assert.Contains("10.244.2.7", Assert.Single(table.FindChain(DnsService.Name)!.Rules).ExpressionsJson);
            Assert.Equal([new NftElementState("10.96.0.10", null, null)], table.FindSet("cluster-ips")!.Elements);
            Assert.Equal([new NftElementState("10.96.0.10 . udp . 53", $"goto {DnsService.Name}", null)], table.FindMap("service-ips")!.Elements);

            // Deleting a rule by the handle the listing reported.
            var rule = table.FindChain("nat-prerouting")!.Rules[0];
            nft.Apply(new NftTransaction().Delete(new NftRule(NatPrerouting, "") { Handle = rule.Handle }));
            Assert.Empty(nft.ListTable(NftFamily.Ip, "kube-proxy")!.FindChain("nat-prerouting")!.Rules);
        });
    }

    [Fact]
    public void A_transaction_with_an_invalid_rule_fails_clearly_and_changes_nothing()
    {
        InThrowawayNamespace((ns, nft) =>
        {
            nft.Apply(FirstSync());
            var before = nft.ListTableText(NftFamily.Ip, "kube-proxy");

            var broken = new NftTransaction()
                .Add(new NftElement(ClusterIps, "10.96.0.99"))
                .Delete(new NftElement(ServiceIps, ["10.96.0.1", "tcp", "443"], null))
                .Add(new NftChain(Table, "half-done"))
                .Add(new NftRule(Services, "ip daddr 10.96.0.99 frobnicate"));
            var error = Assert.Throws<NftablesException>(() => nft.Apply(broken));

            Assert.Equal($"apply nftables transaction (1 chain, 1 rule, 2 elements) in netns {ns.Name}", error.Operation);
            Assert.StartsWith(error.Operation + ": ", error.Message);
            Assert.Contains("Error", error.NftMessage);
            Assert.Contains("frobnicate", error.NftMessage);
            Assert.Equal(before, nft.ListTableText(NftFamily.Ip, "kube-proxy"));
        });
    }

    [Fact]
    public void Deleting_the_table_leaves_an_empty_ruleset()
    {
        InThrowawayNamespace((ns, nft) =>
        {
            nft.Apply(FirstSync());
            Assert.NotEqual("", nft.ListRulesetText());

            nft.Apply(new NftTransaction().Delete(Table));

            Assert.Equal("", nft.ListRulesetText());
            Assert.Equal("", Tool.Run("ip", "netns", "exec", ns.Name, "nft", "list", "ruleset"));
            Assert.Null(nft.ListTable(NftFamily.Ip, "kube-proxy"));
            Assert.Null(nft.ListTableText(NftFamily.Ip, "kube-proxy"));
        });
    }

    [Fact]
    public void Failures_outside_transactions_name_the_operation_and_namespace()
    {
        InThrowawayNamespace((ns, nft) =>
        {
            var missing = Assert.Throws<NftablesException>(() => new NftCli(ns, "/nonexistent/nft").Apply(FirstSync()));
            Assert.Contains($"in netns {ns.Name}: could not start /nonexistent/nft", missing.Message);

            var deleteMissing = Assert.Throws<NftablesException>(() => nft.Apply(new NftTransaction().Delete(Table)));
            Assert.Contains("(1 table)", deleteMissing.Message);
            Assert.Contains("No such file or directory", deleteMissing.Message);

            nft.Apply(new NftTransaction()); // empty: nothing to run
            Assert.Equal("", nft.ListRulesetText());
        });
    }

    /// <summary>Runs the test in a fresh namespace and checks the root namespace's ruleset did not change.</summary>
    private static void InThrowawayNamespace(Action<TestNamespace, NftCli> test)
    {
        var rootBefore = Tool.Run("nft", "list", "ruleset");
        using (var ns = new TestNamespace())
            test(ns, new NftCli(ns));
        Assert.Equal(rootBefore, Tool.Run("nft", "list", "ruleset"));
    }
}
