using System.Text.Json.Nodes;
using Kybernet.Cni.Plugins.Portmap;
using Kybernet.Cni.Protocol;
using Kybernet.Linux.Nftables;
using static Kybernet.Cni.Tests.Plugins.Portmap.PortmapConfigs;

namespace Kybernet.Cni.Tests.Plugins.Portmap;

/// <summary>Pure tests of kybernet-portmap over the stateful fake: the transaction it renders, the state it leaves and the errors it gives (no root, no kernel).</summary>
public class PortmapPureTests
{
    [Fact]
    public void Add_with_two_mappings_renders_the_golden_transaction_and_passes_prevResult_through()
    {
        const string expected = """
            add table ip kybernet-portmap { comment "host ports of Kybernet pods" ; }
            add map ip kybernet-portmap hostports { type inet_proto . inet_service : ipv4_addr . inet_service ; comment "host port on any local address -> container address and port" ; }
            add map ip kybernet-portmap hostip-hostports { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service ; comment "host port on one host address -> container address and port" ; }
            add set ip kybernet-portmap hairpins { type ipv4_addr . ipv4_addr ; comment "container to itself through its host port: masqueraded" ; }
            add chain ip kybernet-portmap prerouting { type nat hook prerouting priority dstnat ; }
            flush chain ip kybernet-portmap prerouting
            add chain ip kybernet-portmap output { type nat hook output priority -100 ; }
            flush chain ip kybernet-portmap output
            add chain ip kybernet-portmap postrouting { type nat hook postrouting priority srcnat ; }
            flush chain ip kybernet-portmap postrouting
            add rule ip kybernet-portmap prerouting fib daddr type local dnat ip to ip daddr . meta l4proto . th dport map @hostip-hostports
            add rule ip kybernet-portmap prerouting fib daddr type local dnat ip to meta l4proto . th dport map @hostports
            add rule ip kybernet-portmap output fib daddr type local dnat ip to ip daddr . meta l4proto . th dport map @hostip-hostports
            add rule ip kybernet-portmap output fib daddr type local dnat ip to meta l4proto . th dport map @hostports
            add rule ip kybernet-portmap postrouting ct status dnat ip saddr . ip daddr @hairpins masquerade
            add element ip kybernet-portmap hostports { tcp . 8080 comment "c1/eth0" : 10.244.1.2 . 80 }
            add element ip kybernet-portmap hostip-hostports { 192.168.77.1 . udp . 9053 comment "c1/eth0" : 10.244.1.2 . 53 }
            add element ip kybernet-portmap hairpins { 10.244.1.2 . 10.244.1.2 comment "c1/eth0" }

            """;
        var nft = new FakeNftables();
        var request = Request(CniOperation.Add, Config(PrevResult(), Mapping(8080, 80), Mapping(9053, 53, "UDP", "192.168.77.1")));

        var result = new PortmapPlugin(nft).Add(request);

        Assert.Equal(expected, Assert.Single(nft.Transactions).Render());
        Assert.Equal(request.Config.PrevResult!.ToJson("1.1.0").ToJsonString(), result.ToJson("1.1.0").ToJsonString());
    }

    [Fact]
    public void Del_removes_only_its_own_attachments_mappings_judged_by_the_resulting_table()
    {
        var nft = new FakeNftables();
        var plugin = new PortmapPlugin(nft);
        var first = Config(PrevResult(), Mapping(8080, 80), Mapping(9053, 53, "UDP", "192.168.77.1"));
        var second = Config(PrevResult("10.244.1.3/24"), Mapping(8081, 81));
        plugin.Add(Request(CniOperation.Add, first, containerId: "c1"));
        plugin.Add(Request(CniOperation.Add, second, containerId: "c2"));

        plugin.Del(Request(CniOperation.Del, Config(null), containerId: "c1"));

        var table = nft.ListTable(NftFamily.Ip, "kybernet-portmap")!;
        Assert.Equal([new NftElementState("tcp . 8081", "10.244.1.3 . 81", "c2/eth0")], table.FindMap("hostports")!.Elements);
        Assert.Empty(table.FindMap("hostip-hostports")!.Elements);
        Assert.Equal([new NftElementState("10.244.1.3 . 10.244.1.3", null, "c2/eth0")], table.FindSet("hairpins")!.Elements);
        plugin.Check(Request(CniOperation.Check, second, containerId: "c2"));
        var gone = Assert.Throws<CniException>(() => plugin.Check(Request(CniOperation.Check, first, containerId: "c1")));
        Assert.Equal(PortmapErrors.MappingMissingCode, gone.Code);
    }

    [Fact]
    public void Snat_false_leaves_out_the_hairpin_and_IPv6_host_addresses_are_skipped()
    {
        var nft = new FakeNftables();
        var config = Config(PrevResult(), Mapping(8080, 80, hostIp: "0.0.0.0"), Mapping(8081, 81, hostIp: "fd00::1"));
        config["snat"] = false;

        new PortmapPlugin(nft).Add(Request(CniOperation.Add, config));

        var elements = nft.Last!.Commands.Where(c => c.Object.Kind == NftObjectKind.Element).Select(c => c.Text);
        Assert.Equal(["add element ip kybernet-portmap hostports { tcp . 8080 comment \"c1/eth0\" : 10.244.1.2 . 80 }"], elements);
    }

    [Fact]
    public void No_mappings_returns_prevResult_unchanged_and_touches_nothing()
    {
        var nft = new FakeNftables();
        var request = Request(CniOperation.Add, Config(PrevResult()));

        var result = new PortmapPlugin(nft).Add(request);

        Assert.Equal(request.Config.PrevResult!.ToJson("1.1.0").ToJsonString(), result.ToJson("1.1.0").ToJsonString());
        Assert.Empty(nft.Transactions);
    }

    public static TheoryData<JsonNode, string> BadMappings => new()
    {
        { Mapping(0, 80), "runtimeConfig.portMappings[0].hostPort" },
        { Mapping(65536, 80), "runtimeConfig.portMappings[0].hostPort" },
        { Mapping(8080, -1), "runtimeConfig.portMappings[0].containerPort" },
        { new JsonObject { ["hostPort"] = 8080 }, "runtimeConfig.portMappings[0].containerPort" },
        { new JsonObject { ["hostPort"] = "8080", ["containerPort"] = 80 }, "runtimeConfig.portMappings[0].hostPort" },
        { Mapping(8080, 80, "icmp"), "runtimeConfig.portMappings[0].protocol" },
        { Mapping(8080, 80, hostIp: "10"), "runtimeConfig.portMappings[0].hostIP" },
        { Mapping(8080, 80, hostIp: "10.0.0.1/24"), "runtimeConfig.portMappings[0].hostIP" },
        { "8080:80", "runtimeConfig.portMappings[0]" },
    };

    [Theory]
    [MemberData(nameof(BadMappings))]
    public void Invalid_mappings_are_config_errors_naming_the_field(JsonNode mapping, string field)
    {
        var nft = new FakeNftables();
        var error = Assert.Throws<CniException>(() => new PortmapPlugin(nft).Add(Request(CniOperation.Add, Config(PrevResult(), mapping))));

        Assert.Equal(CniErrorCode.InvalidConfig, error.Code);
        Assert.Contains($"\"{field}\"", error.Message);
        Assert.Empty(nft.Transactions);
    }

    [Fact]
    public void The_same_host_port_twice_in_one_config_names_both_entries()
    {
        var config = Config(PrevResult(), Mapping(8080, 80), Mapping(9000, 90, "udp"), Mapping(8080, 81, "tcp"));
        var error = Assert.Throws<CniException>(() => new PortmapPlugin(new FakeNftables()).Add(Request(CniOperation.Add, config)));

        Assert.Equal(CniErrorCode.InvalidConfig, error.Code);
        Assert.Contains("\"runtimeConfig.portMappings[2]\"", error.Message);
        Assert.Contains("host port 8080/tcp", error.Message);
        Assert.Contains("runtimeConfig.portMappings[0]", error.Message);
    }

    [Fact]
    public void Add_needs_prevResult_with_an_IPv4_container_address()
    {
        var plugin = new PortmapPlugin(new FakeNftables());
        var missing = Assert.Throws<CniException>(() => plugin.Add(Request(CniOperation.Add, Config(null, Mapping(8080, 80)))));
        Assert.Equal((CniErrorCode.InvalidConfig, true), (missing.Code, missing.Message.Contains("\"prevResult\"")));

        var ipv6Only = PrevResult();
        ipv6Only["ips"]!.AsArray().RemoveAt(0);
        var noIpv4 = Assert.Throws<CniException>(() => plugin.Add(Request(CniOperation.Add, Config(ipv6Only, Mapping(8080, 80)))));
        Assert.Equal((CniErrorCode.InvalidConfig, true), (noIpv4.Code, noIpv4.Message.Contains("\"prevResult.ips\"")));
    }

    [Fact]
    public void Del_and_Gc_without_a_table_apply_nothing()
    {
        var nft = new FakeNftables();
        var plugin = new PortmapPlugin(nft);
        plugin.Del(Request(CniOperation.Del, Config(null)));
        var gc = Config(null);
        gc["cni.dev/valid-attachments"] = new JsonArray();
        plugin.Gc(Request(CniOperation.Gc, gc));
        Assert.Empty(nft.Transactions);
    }
}
