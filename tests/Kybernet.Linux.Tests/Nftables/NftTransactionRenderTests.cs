using Kybernet.Linux.Nftables;

namespace Kybernet.Linux.Tests.Nftables;

/// <summary>Pure tests: the transaction renders exactly this nft script (no root, no kernel).</summary>
public class NftTransactionRenderTests
{
    private static readonly NftTable Table = new(NftFamily.Inet, "t");
    private static readonly NftChain Chain = new(Table, "c");

    [Fact]
    public void First_sync_renders_the_golden_script()
    {
        const string expected = """
            add table ip kube-proxy { comment "rules for Kybernet services" ; }
            add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority dstnat ; policy accept ; }
            add chain ip kube-proxy services
            add chain ip kube-proxy service-ULMVA6XW-default/kubernetes/tcp/https
            flush chain ip kube-proxy services
            flush chain ip kube-proxy service-ULMVA6XW-default/kubernetes/tcp/https
            add set ip kube-proxy cluster-ips { type ipv4_addr ; comment "active ClusterIPs" ; }
            add map ip kube-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP traffic" ; }
            add rule ip kube-proxy nat-prerouting jump services comment "kubernetes service portals"
            add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips
            add rule ip kube-proxy service-ULMVA6XW-default/kubernetes/tcp/https meta l4proto tcp dnat to 10.244.1.5:6443 comment "default/kubernetes:https -> 10.244.1.5:6443"
            add element ip kube-proxy cluster-ips { 10.96.0.1 }
            add element ip kube-proxy service-ips { 10.96.0.1 . tcp . 443 comment "default/kubernetes:https" : goto service-ULMVA6XW-default/kubernetes/tcp/https }

            """;
        var tx = KubeProxyLikeTable.FirstSync();
        Assert.Equal(expected, tx.Render());
        Assert.Equal("1 table, 5 chains, 3 rules, 1 set, 1 map, 2 elements", tx.Summary);
    }

    [Fact]
    public void Second_sync_renders_element_deletes_and_chain_removal()
    {
        const string expected = """
            add chain ip kube-proxy service-FGHZ2LQP-kube-system/kube-dns/udp/dns
            flush chain ip kube-proxy service-FGHZ2LQP-kube-system/kube-dns/udp/dns
            add rule ip kube-proxy service-FGHZ2LQP-kube-system/kube-dns/udp/dns meta l4proto udp dnat to 10.244.2.7:53
            add element ip kube-proxy cluster-ips { 10.96.0.10 }
            add element ip kube-proxy service-ips { 10.96.0.10 . udp . 53 : goto service-FGHZ2LQP-kube-system/kube-dns/udp/dns }
            delete element ip kube-proxy service-ips { 10.96.0.1 . tcp . 443 }
            delete element ip kube-proxy cluster-ips { 10.96.0.1 }
            flush chain ip kube-proxy service-ULMVA6XW-default/kubernetes/tcp/https
            delete chain ip kube-proxy service-ULMVA6XW-default/kubernetes/tcp/https

            """;
        Assert.Equal(expected, KubeProxyLikeTable.SecondSync().Render());
    }

    [Fact]
    public void Every_verb_renders_for_every_object_it_applies_to()
    {
        var set = new NftSet(Table, "s", "ipv4_addr . inet_service") { Flags = ["interval", "timeout"] };
        var map = new NftMap(Table, "m", "ipv4_addr", "ipv4_addr");
        var input = new NftChain(Table, "in") { Type = NftChainType.Filter, Hook = NftHook.Input, Priority = "filter + 10", Comment = "host" };
        var tx = new NftTransaction()
            .Add(input)
            .Insert(new NftRule(Chain, "tcp dport 22 accept"))
            .Delete(new NftRule(Chain, "") { Handle = 7 })
            .Add(set).Flush(set).Delete(set)
            .Add(map).Flush(map).Delete(map)
            .Flush(Chain).Delete(Chain)
            .Flush(Table).Delete(Table);
        Assert.Equal("""
            add chain inet t in { type filter hook input priority filter + 10 ; comment "host" ; }
            insert rule inet t c tcp dport 22 accept
            delete rule inet t c handle 7
            add set inet t s { type ipv4_addr . inet_service ; flags interval,timeout ; }
            flush set inet t s
            delete set inet t s
            add map inet t m { type ipv4_addr : ipv4_addr ; }
            flush map inet t m
            delete map inet t m
            flush chain inet t c
            delete chain inet t c
            flush table inet t
            delete table inet t

            """, tx.Render());
        Assert.Equal("2 tables, 3 chains, 2 rules, 3 sets, 3 maps", tx.Summary);
    }

    [Fact]
    public void Create_renders_like_add_and_is_refused_for_rules()
    {
        var set = new NftSet(Table, "s", "ipv4_addr");
        var tx = new NftTransaction()
            .Create(Table with { Comment = "x" })
            .Create(new NftChain(Table, "in") { Type = NftChainType.Filter, Hook = NftHook.Input, Priority = "0" })
            .Create(set)
            .Create(new NftMap(Table, "m", "ipv4_addr", "verdict"))
            .Create(new NftElement(set, "10.0.0.1"));
        Assert.Equal("""
            create table inet t { comment "x" ; }
            create chain inet t in { type filter hook input priority 0 ; }
            create set inet t s { type ipv4_addr ; }
            create map inet t m { type ipv4_addr : verdict ; }
            create element inet t s { 10.0.0.1 }

            """, tx.Render());
        Assert.Throws<ArgumentException>(() => tx.Create(new NftRule(Chain, "accept")));
    }

    [Fact]
    public void Empty_transaction_renders_nothing()
    {
        var tx = new NftTransaction();
        Assert.True(tx.IsEmpty);
        Assert.Equal("", tx.Render());
        Assert.Equal("empty", tx.Summary);
    }

    [Theory]
    [InlineData("table name", "bad name")]
    [InlineData("table name", "")]
    [InlineData("table name", "1starts-with-digit")]
    [InlineData("table name", "semi;colon")]
    public void Invalid_table_names_are_rejected_naming_the_field(string field, string name)
    {
        var error = Assert.Throws<ArgumentException>(() => new NftTransaction().Add(new NftTable(NftFamily.Ip, name)));
        Assert.Equal(field, error.ParamName);
        Assert.Contains($"nftables {field} \"{name}\"", error.Message);
    }

    [Fact]
    public void Invalid_chain_set_and_map_names_are_rejected_naming_the_field()
    {
        Assert.Equal("chain name", Assert.Throws<ArgumentException>(() => new NftTransaction().Add(new NftChain(Table, "a b"))).ParamName);
        Assert.Equal("chain name", Assert.Throws<ArgumentException>(() => new NftTransaction().Add(new NftRule(new NftChain(Table, "x}"), "accept"))).ParamName);
        Assert.Equal("set name", Assert.Throws<ArgumentException>(() => new NftTransaction().Add(new NftSet(Table, "s{", "ipv4_addr"))).ParamName);
        Assert.Equal("map name", Assert.Throws<ArgumentException>(() => new NftTransaction().Flush(new NftMap(Table, "m m", "ipv4_addr", "verdict"))).ParamName);
        Assert.Equal("set name", Assert.Throws<ArgumentException>(() => new NftTransaction().Add(new NftElement(new NftSet(Table, "-s", "ipv4_addr"), "10.0.0.1"))).ParamName);
        Assert.Equal("table name", Assert.Throws<ArgumentException>(() => new NftTransaction().Add(new NftTable(NftFamily.Ip, new string('a', 256)))).ParamName);
    }

    [Fact]
    public void Comments_are_quoted_and_text_nft_cannot_quote_is_rejected()
    {
        var ok = new NftTransaction().Add(new NftRule(Chain, "accept") { Comment = "it's # fine; {really}" });
        Assert.Equal("add rule inet t c accept comment \"it's # fine; {really}\"\n", ok.Render());

        // nft's lexer has no escapes inside quotes, so a quote or a line break cannot be expressed.
        Assert.Equal("rule comment", Assert.Throws<ArgumentException>(() => new NftTransaction().Add(new NftRule(Chain, "accept") { Comment = "say \"hi\"" })).ParamName);
        Assert.Equal("rule comment", Assert.Throws<ArgumentException>(() => new NftTransaction().Add(new NftRule(Chain, "accept") { Comment = "two\nlines" })).ParamName);
        Assert.Equal("set comment", Assert.Throws<ArgumentException>(() => new NftTransaction().Add(new NftSet(Table, "s", "ipv4_addr") { Comment = new string('x', 129) })).ParamName);
        Assert.Equal("table comment", Assert.Throws<ArgumentException>(() => new NftTransaction().Add(Table with { Comment = "\"" })).ParamName);
    }

    [Fact]
    public void Malformed_objects_are_rejected_before_rendering()
    {
        Assert.Throws<ArgumentException>(() => new NftTransaction().Add(new NftChain(Table, "c") { Hook = NftHook.Input, Type = NftChainType.Filter }));
        Assert.Throws<ArgumentException>(() => new NftTransaction().Add(new NftChain(Table, "c") { Policy = NftPolicy.Drop }));
        Assert.Equal("chain priority", Assert.Throws<ArgumentException>(() => new NftTransaction().Add(new NftChain(Table, "c") { Hook = NftHook.Input, Type = NftChainType.Filter, Priority = "0; flush ruleset" })).ParamName);
        Assert.Equal("rule text", Assert.Throws<ArgumentException>(() => new NftTransaction().Add(new NftRule(Chain, "accept\nflush ruleset"))).ParamName);
        Assert.Equal("Handle", Assert.Throws<ArgumentException>(() => new NftTransaction().Delete(new NftRule(Chain, "accept"))).ParamName);
        Assert.Equal("set type", Assert.Throws<ArgumentException>(() => new NftTransaction().Add(new NftSet(Table, "s", "ipv4_addr . ; flush"))).ParamName);
        var map = new NftMap(Table, "m", "ipv4_addr", "verdict");
        Assert.Equal("Value", Assert.Throws<ArgumentException>(() => new NftTransaction().Add(new NftElement(map, ["10.0.0.1"], null))).ParamName);
        Assert.Equal("element key", Assert.Throws<ArgumentException>(() => new NftTransaction().Add(new NftElement(map, ["10.0.0.1 }"], "accept"))).ParamName);
        Assert.Equal("Key", Assert.Throws<ArgumentException>(() => new NftTransaction().Delete(new NftElement(map, [], null))).ParamName);
        Assert.Equal("Handle", Assert.Throws<ArgumentException>(() => new NftTransaction().Add(new NftRule(Chain, "accept") { Handle = 1 })).ParamName);
        Assert.Equal("Value", Assert.Throws<ArgumentException>(() => new NftTransaction().Add(new NftElement(new NftSet(Table, "s", "ipv4_addr"), "10.0.0.1") { Value = "accept" })).ParamName);
    }

    [Fact]
    public void A_rejected_command_leaves_the_transaction_unchanged()
    {
        var tx = new NftTransaction().Add(Table);
        Assert.Throws<ArgumentException>(() => tx.Add(new NftChain(Table, "bad name")));
        Assert.Single(tx.Commands);
    }
}
