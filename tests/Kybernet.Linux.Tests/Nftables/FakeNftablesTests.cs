using Kybernet.Linux.Nftables;
using static Kybernet.Linux.Tests.Nftables.KubeProxyLikeTable;

namespace Kybernet.Linux.Tests.Nftables;

/// <summary>Pure tests of the stateful fake (no root, no kernel); <see cref="FakeNftablesParityTests"/> holds it against the real nft.</summary>
public class FakeNftablesTests
{
    [Fact]
    public void Syncs_are_applied_to_the_modelled_ruleset_and_read_back_as_state()
    {
        var fake = new FakeNftables();
        fake.Apply(FirstSync());
        fake.Apply(SecondSync());

        var table = fake.ListTable(NftFamily.Ip, "kube-proxy")!;
        Assert.Equal(["nat-prerouting", "services", DnsService.Name], table.Chains.Select(c => c.Name));
        var prerouting = table.FindChain("nat-prerouting")!;
        Assert.Equal(("nat", "prerouting", -100, "accept"), (prerouting.Type, prerouting.Hook, prerouting.Priority, prerouting.Policy));
        Assert.Equal("kubernetes service portals", prerouting.Rules.Single().Comment);
        Assert.Equal("\"jump services\"", prerouting.Rules.Single().ExpressionsJson);
        Assert.Equal([new NftElementState("10.96.0.10", null, null)], table.FindSet("cluster-ips")!.Elements);
        Assert.Equal([new NftElementState("10.96.0.10 . udp . 53", $"goto {DnsService.Name}", null)], table.FindMap("service-ips")!.Elements);
        Assert.Null(fake.ListTable(NftFamily.Inet, "kube-proxy"));
    }

    [Fact]
    public void Handles_are_counted_per_table_as_the_kernel_counts_them()
    {
        var fake = new FakeNftables();
        fake.Apply(FirstSync());

        var table = fake.ListTable(NftFamily.Ip, "kube-proxy")!;
        // Chains 1-3 and the two sets 4-5 in the order added, then the three rules.
        Assert.Equal(1ul, table.Handle);
        Assert.Equal([1ul, 2ul, 3ul], table.Chains.Select(c => c.Handle));
        Assert.Equal((4ul, 5ul), (table.FindSet("cluster-ips")!.Handle, table.FindMap("service-ips")!.Handle));
        Assert.Equal([6ul, 7ul, 8ul], table.Chains.SelectMany(c => c.Rules).Select(r => r.Handle));

        // A rule with a set literal of two elements takes a handle for nft's anonymous set first; one of one element does not.
        fake.Apply(new NftTransaction()
            .Add(new NftRule(Services, "ip daddr { 10.0.0.1, 10.0.0.2 } accept"))
            .Add(new NftRule(Services, "ip daddr { 10.0.0.3 } accept")));
        Assert.Equal([7ul, 10ul, 11ul], fake.ListTable(NftFamily.Ip, "kube-proxy")!.FindChain("services")!.Rules.Select(r => r.Handle));
    }

    [Fact]
    public void A_delete_of_a_missing_table_fails_and_the_whole_transaction_changes_nothing()
    {
        var fake = new FakeNftables("netns test");
        fake.Apply(FirstSync());
        var before = fake.Dump();

        var error = Assert.Throws<NftablesException>(() => fake.Apply(new NftTransaction()
            .Add(new NftElement(ClusterIps, "10.96.0.99"))
            .Add(new NftChain(Table, "half-done"))
            .Delete(new NftTable(NftFamily.Inet, "missing"))));

        Assert.Equal("apply nftables transaction (1 table, 1 chain, 1 element) in netns test", error.Operation);
        Assert.Equal("/dev/stdin:3: Error: Could not process rule: No such file or directory\ndelete table inet missing", error.NftMessage);
        Assert.Equal(before, fake.Dump());
        Assert.Single(fake.Transactions);
    }

    [Fact]
    public void A_refused_transaction_still_uses_up_the_handles_the_kernel_handed_out()
    {
        var fake = new FakeNftables();
        fake.Apply(FirstSync()); // handles up to 8

        Assert.Throws<NftablesException>(() => fake.Apply(new NftTransaction()
            .Delete(new NftChain(Table, "missing"))
            .Add(new NftChain(Table, "x"))              // 9, undone
            .Add(new NftRule(Services, "accept"))));    // 10, undone
        Assert.Throws<NftablesException>(() => fake.Apply(new NftTransaction()
            .Add(new NftChain(Table, "y"))              // nft refuses the next line itself: nothing reaches the kernel
            .Add(new NftRule(Services, "ip daddr @missing accept"))));
        fake.Apply(new NftTransaction().Add(new NftChain(Table, "z")));

        Assert.Equal(11ul, fake.ListTable(NftFamily.Ip, "kube-proxy")!.FindChain("z")!.Handle);
    }

    [Fact]
    public void Create_refuses_what_exists_where_add_keeps_it()
    {
        var fake = new FakeNftables();
        fake.Apply(FirstSync());
        fake.Apply(FirstSync()); // add: everything exists already, only the rules and elements are added again

        Assert.Contains("File exists", Assert.Throws<NftablesException>(() => fake.Apply(new NftTransaction().Create(Table))).Message);
        Assert.Contains("File exists", Assert.Throws<NftablesException>(() => fake.Apply(new NftTransaction().Create(Services))).Message);
        Assert.Contains("File exists", Assert.Throws<NftablesException>(() => fake.Apply(new NftTransaction().Create(ClusterIps))).Message);
        Assert.Contains("File exists", Assert.Throws<NftablesException>(() => fake.Apply(new NftTransaction().Create(new NftElement(ClusterIps, "10.96.0.1")))).Message);
        // An add of a set under another type is refused too; its comment alone does not matter.
        Assert.Contains("File exists", Assert.Throws<NftablesException>(() => fake.Apply(new NftTransaction().Add(ClusterIps with { Type = "ipv4_addr . inet_service" }))).Message);
        fake.Apply(new NftTransaction().Add(ClusterIps with { Comment = "another" }));
        Assert.Equal("active ClusterIPs", fake.ListTable(NftFamily.Ip, "kube-proxy")!.FindSet("cluster-ips")!.Comment);
    }

    [Fact]
    public void A_chain_or_set_in_use_cannot_be_deleted_until_nothing_refers_to_it()
    {
        var fake = new FakeNftables();
        fake.Apply(FirstSync());

        // The map's element goes to the API service's chain; the services chain's rule uses the map.
        Assert.Contains("Device or resource busy", Assert.Throws<NftablesException>(() => fake.Apply(new NftTransaction().Delete(ApiService))).Message);
        Assert.Contains("Device or resource busy", Assert.Throws<NftablesException>(() => fake.Apply(new NftTransaction().Delete(ServiceIps))).Message);

        fake.Apply(new NftTransaction().Delete(new NftElement(ServiceIps, ["10.96.0.1", "tcp", "443"], null)).Delete(ApiService));
        fake.Apply(new NftTransaction().Flush(Services).Delete(ServiceIps));

        var table = fake.ListTable(NftFamily.Ip, "kube-proxy")!;
        Assert.Null(table.FindChain(ApiService.Name));
        Assert.Null(table.FindMap("service-ips"));
    }

    [Fact]
    public void A_base_chain_keeps_its_hook_and_priority_and_may_change_its_policy()
    {
        var fake = new FakeNftables();
        fake.Apply(FirstSync());

        var moved = Assert.Throws<NftablesException>(() => fake.Apply(new NftTransaction().Add(NatPrerouting with { Priority = "10" })));
        Assert.Contains("Operation not supported", moved.Message);
        Assert.Contains("File exists", Assert.Throws<NftablesException>(() => fake.Apply(new NftTransaction().Add(Services with { Type = NftChainType.Filter, Hook = NftHook.Input, Priority = "0" }))).Message);

        fake.Apply(new NftTransaction().Add(NatPrerouting with { Priority = "-100", Policy = NftPolicy.Drop }).Add(new NftChain(Table, NatPrerouting.Name)));
        Assert.Equal("drop", fake.ListTable(NftFamily.Ip, "kube-proxy")!.FindChain("nat-prerouting")!.Policy);
    }

    [Fact]
    public void Priority_names_are_resolved_per_family_and_refused_where_nft_refuses_them()
    {
        var fake = new FakeNftables();
        var bridge = new NftTable(NftFamily.Bridge, "b");
        fake.Apply(new NftTransaction().Add(bridge)
            .Add(new NftChain(bridge, "pre") { Type = NftChainType.Filter, Hook = NftHook.Prerouting, Priority = "dstnat" })
            .Add(new NftChain(bridge, "fwd") { Type = NftChainType.Filter, Hook = NftHook.Forward, Priority = "filter + 5" }));
        Assert.Equal([-300, -195], fake.ListTable(NftFamily.Bridge, "b")!.Chains.Select(c => c.Priority));

        var refused = Assert.Throws<NftablesException>(() => fake.Apply(new NftTransaction()
            .Add(new NftChain(bridge, "out") { Type = NftChainType.Filter, Hook = NftHook.Output, Priority = "dstnat" })));
        Assert.Contains("invalid priority expression value in this context", refused.Message);
    }

    [Fact]
    public void Map_elements_are_added_once_and_a_different_value_for_the_same_key_is_refused()
    {
        var fake = new FakeNftables();
        fake.Apply(FirstSync());

        fake.Apply(new NftTransaction().Add(new NftElement(ServiceIps, ["10.96.0.1", "tcp", "443"], $"goto {ApiService.Name}") { Comment = "another" }));
        var clash = Assert.Throws<NftablesException>(() => fake.Apply(new NftTransaction().Add(new NftElement(ServiceIps, ["10.96.0.1", "tcp", "443"], "accept"))));
        Assert.Contains("File exists", clash.Message);
        Assert.Contains("No such file or directory", Assert.Throws<NftablesException>(() => fake.Apply(new NftTransaction().Delete(new NftElement(ClusterIps, "10.96.0.2")))).Message);
        Assert.Contains("No such file or directory", Assert.Throws<NftablesException>(() => fake.Apply(new NftTransaction().Add(new NftElement(ServiceIps, ["10.96.0.2", "tcp", "80"], "goto missing")))).Message);

        Assert.Equal("default/kubernetes:https", fake.ListTable(NftFamily.Ip, "kube-proxy")!.FindMap("service-ips")!.Elements.Single().Comment);
    }

    [Fact]
    public void Flushing_a_table_empties_its_chains_but_not_its_sets()
    {
        var fake = new FakeNftables();
        fake.Apply(FirstSync());

        fake.Apply(new NftTransaction().Flush(Table));

        var table = fake.ListTable(NftFamily.Ip, "kube-proxy")!;
        Assert.All(table.Chains, c => Assert.Empty(c.Rules));
        Assert.Single(table.FindSet("cluster-ips")!.Elements);
        Assert.Single(table.FindMap("service-ips")!.Elements);
    }

    [Fact]
    public void Rules_are_inserted_first_appended_last_and_deleted_by_the_handle_the_listing_gave()
    {
        var fake = new FakeNftables();
        fake.Apply(FirstSync());
        fake.Apply(new NftTransaction()
            .Insert(new NftRule(Services, "ip daddr 10.96.0.2 drop") { Comment = "first" })
            .Add(new NftRule(Services, "ip daddr 10.96.0.3 drop") { Comment = "last" }));
        var rules = fake.ListTable(NftFamily.Ip, "kube-proxy")!.FindChain("services")!.Rules;
        Assert.Equal(["first", null, "last"], rules.Select(r => r.Comment));

        fake.Apply(new NftTransaction().Delete(new NftRule(Services, "") { Handle = rules[1].Handle }));

        Assert.Equal(["first", "last"], fake.ListTable(NftFamily.Ip, "kube-proxy")!.FindChain("services")!.Rules.Select(r => r.Comment));
        Assert.Contains("No such file or directory", Assert.Throws<NftablesException>(() => fake.Apply(new NftTransaction().Delete(new NftRule(Services, "") { Handle = rules[1].Handle }))).Message);
        Assert.Contains("No such file or directory", Assert.Throws<NftablesException>(() => fake.Apply(new NftTransaction().Add(new NftRule(Services, "jump missing")))).Message);
        Assert.Contains("No such file or directory", Assert.Throws<NftablesException>(() => fake.Apply(new NftTransaction().Add(new NftRule(new NftChain(Table, "missing"), "accept")))).Message);
    }

    [Fact]
    public void The_dump_is_the_same_text_for_the_same_ruleset_whatever_led_there()
    {
        var stepByStep = new FakeNftables();
        stepByStep.Apply(FirstSync());
        stepByStep.Apply(SecondSync());
        var atOnce = new FakeNftables();
        atOnce.Apply(new NftTransaction()
            .Add(Table).Add(DnsService).Add(Services).Add(NatPrerouting)
            .Add(ServiceIps).Add(ClusterIps)
            .Add(new NftRule(NatPrerouting, "jump services") { Comment = "kubernetes service portals" })
            .Add(new NftRule(Services, "ip daddr . meta l4proto . th dport vmap @service-ips"))
            .Add(new NftRule(DnsService, "meta l4proto udp dnat to 10.244.2.7:53"))
            .Add(new NftElement(ServiceIps, ["10.96.0.10", "udp", "53"], $"goto {DnsService.Name}"))
            .Add(new NftElement(ClusterIps, "10.96.0.10")));

        Assert.Equal(stepByStep.Dump(), atOnce.Dump());
        Assert.Equal($$"""
            add table ip kube-proxy { comment "rules for Kybernet services" ; }
            add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority dstnat ; policy accept ; }
            add chain ip kube-proxy service-FGHZ2LQP-kube-system/kube-dns/udp/dns
            add chain ip kube-proxy services
            add set ip kube-proxy cluster-ips { type ipv4_addr ; comment "active ClusterIPs" ; }
            add map ip kube-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP traffic" ; }
            add rule ip kube-proxy nat-prerouting jump services comment "kubernetes service portals"
            add rule ip kube-proxy service-FGHZ2LQP-kube-system/kube-dns/udp/dns meta l4proto udp dnat to 10.244.2.7:53
            add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips
            add element ip kube-proxy cluster-ips { 10.96.0.10 }
            add element ip kube-proxy service-ips { 10.96.0.10 . udp . 53 : goto {{DnsService.Name}} }

            """, stepByStep.Dump());
        Assert.Equal(stepByStep.Dump(), stepByStep.ListTableText(NftFamily.Ip, "kube-proxy"));
    }

    [Fact]
    public void Records_applied_transactions_in_order_as_they_were_when_applied()
    {
        var fake = new FakeNftables();
        var first = FirstSync();
        fake.Apply(first);
        fake.Apply(SecondSync());
        fake.Apply(new NftTransaction()); // nothing to do, nothing recorded
        first.Flush(Table); // later changes must not rewrite history

        Assert.Equal([FirstSync().Render(), SecondSync().Render()], fake.Transactions.Select(t => t.Render()));
        Assert.Same(fake.Transactions[1], fake.Last);
    }

    [Fact]
    public void Can_fail_the_next_apply_once_without_changing_anything()
    {
        var fake = new FakeNftables();
        fake.FailNextApply(new NftablesException("apply nftables transaction (1 table) in netns fake", "boom"));

        Assert.Equal("boom", Assert.Throws<NftablesException>(() => fake.Apply(FirstSync())).NftMessage);
        Assert.Empty(fake.Transactions);
        Assert.Null(fake.ListTable(NftFamily.Ip, "kube-proxy"));

        fake.Apply(FirstSync());
        Assert.Single(fake.Transactions);
        Assert.NotNull(fake.ListTable(NftFamily.Ip, "kube-proxy"));
    }
}
