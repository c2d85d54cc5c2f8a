using System.Net.Sockets;
using System.Text.Json.Nodes;
using Kybernet.Cni.Plugins.Portmap;
using Kybernet.Cni.Protocol;
using Kybernet.Linux.Nftables;
using static Kybernet.Cni.Tests.Plugins.Portmap.PortmapConfigs;
using static Kybernet.Cni.Tests.Plugins.Portmap.PortmapNetwork;

namespace Kybernet.Cni.Tests.Plugins.Portmap;

/// <summary>
/// kybernet-portmap as a real process in a hand-built node namespace, with real packets between
/// throwaway namespaces. Every test checks that the root namespace's ruleset did not change.
/// </summary>
public class PortmapKernelTests
{
    private static JsonObject PodConfig(PortmapNetwork net) =>
        Config(PrevResult(netns: net.PodNetns), Mapping(8080, 80), Mapping(9053, 53, "udp"));

    [Fact]
    public void Add_maps_tcp_and_udp_for_a_client_the_node_and_the_pod_itself()
    {
        InNetwork(net =>
        {
            var config = PodConfig(net);
            var add = net.Invoke("ADD", config);
            Assert.True(add.Succeeded, add.Output?.ToJsonString() + add.Stderr);
            Assert.Equal(CniNetworkConfig.Parse(config.ToJsonString()).PrevResult!.ToJson("1.1.0").ToJsonString(), add.Output!.ToJsonString());

            // A client on another subnet, through prerouting: the pod sees the client's own address.
            Assert.Equal("192.168.77.2", TcpCall(net.Client, NodeIp, 8080));
            var (echo, from) = UdpCall(net.Client, NodeIp, 9053, "ping");
            Assert.Equal(("ping", $"{NodeIp}:9053"), (echo, from.ToString()));
            // The node itself, through the output chain.
            Assert.Equal(NodeIp, TcpCall(net.Node, NodeIp, 8080));
            // The pod through its own host port (hairpin): masqueraded to the bridge address, or the reply would bypass the node.
            Assert.Equal(BridgeIp, TcpCall(net.Pod, NodeIp, 8080));
            // The container's port is not open on the node under its own number.
            Assert.Throws<SocketException>(() => TcpCall(net.Client, NodeIp, 80));

            Assert.Equal(3, net.ElementsOf("pod1").Count);
            var check = net.Invoke("CHECK", config);
            Assert.True(check.Succeeded, check.Output?.ToJsonString());
        });
    }

    [Fact]
    public void Del_removes_exactly_the_containers_elements_and_is_idempotent()
    {
        InNetwork(net =>
        {
            // DEL before the table exists.
            Assert.True(net.Invoke("DEL", Config(null)).Succeeded);
            Assert.Null(net.NodeNft.ListTable(NftFamily.Ip, "kybernet-portmap"));

            Assert.True(net.Invoke("ADD", PodConfig(net)).Succeeded);
            var other = Config(PrevResult("10.244.1.3/24", net.PodNetns), Mapping(8081, 81));
            Assert.True(net.Invoke("ADD", other, containerId: "pod2").Succeeded);
            Assert.Equal("192.168.77.2", TcpCall(net.Client, NodeIp, 8080));

            var del = net.Invoke("DEL", PodConfig(net));
            Assert.True(del.Succeeded, del.Output?.ToJsonString());
            Assert.Empty(net.ElementsOf("pod1"));
            Assert.Equal(2, net.ElementsOf("pod2").Count);
            Assert.Throws<SocketException>(() => TcpCall(net.Client, NodeIp, 8080));

            // Twice, and without prevResult or runtimeConfig.
            Assert.True(net.Invoke("DEL", PodConfig(net)).Succeeded);
            Assert.True(net.Invoke("DEL", Config(null)).Succeeded);
            Assert.Equal(2, net.ElementsOf("pod2").Count);
        });
    }

    [Fact]
    public void A_second_container_asking_for_a_taken_host_port_fails_and_adds_nothing()
    {
        InNetwork(net =>
        {
            Assert.True(net.Invoke("ADD", PodConfig(net)).Succeeded);
            var before = net.NodeNft.ListTableText(NftFamily.Ip, "kybernet-portmap");

            // 9000 is free, 8080 on one host address overlaps pod1's 8080 on every address: nothing may land.
            var config = Config(PrevResult("10.244.1.3/24", net.PodNetns), Mapping(9000, 90), Mapping(8080, 80, "tcp", NodeIp));
            var add = net.Invoke("ADD", config, containerId: "pod2");

            Assert.False(add.Succeeded);
            Assert.Equal(PortmapErrors.HostPortTakenCode, add.ErrorCode);
            Assert.Contains($"host port {NodeIp}:8080/tcp", add.ErrorMessage);
            Assert.Contains("container pod1 (eth0)", add.ErrorMessage);
            Assert.Equal(before, net.NodeNft.ListTableText(NftFamily.Ip, "kybernet-portmap"));
            Assert.Equal("192.168.77.2", TcpCall(net.Client, NodeIp, 8080));

            // The same ADD again for pod1 (a retry) is fine and changes nothing.
            Assert.True(net.Invoke("ADD", PodConfig(net)).Succeeded);
            Assert.Equal(before, net.NodeNft.ListTableText(NftFamily.Ip, "kybernet-portmap"));
        });
    }

    [Fact]
    public void Check_fails_naming_the_mapping_an_operator_removed_by_hand()
    {
        InNetwork(net =>
        {
            var config = PodConfig(net);
            Assert.True(net.Invoke("ADD", config).Succeeded);
            Assert.True(net.Invoke("CHECK", config).Succeeded);

            Tool.Run("ip", "netns", "exec", net.Node.Name, "nft", "delete", "element", "ip", "kybernet-portmap", "hostports", "{ udp . 9053 }");
            var check = net.Invoke("CHECK", config);

            Assert.False(check.Succeeded);
            Assert.Equal(PortmapErrors.MappingMissingCode, check.ErrorCode);
            Assert.Contains($"container pod1 (eth0): host port 9053/udp -> {PodIp}:53 is missing from hostports", check.ErrorMessage);
        });
    }

    [Fact]
    public void Gc_removes_the_elements_of_attachments_not_listed()
    {
        InNetwork(net =>
        {
            Assert.True(net.Invoke("ADD", PodConfig(net)).Succeeded);
            Assert.True(net.Invoke("ADD", Config(PrevResult("10.244.1.3/24", net.PodNetns), Mapping(8081, 81)), containerId: "pod2").Succeeded);
            Assert.True(net.Invoke("ADD", Config(PrevResult("10.244.1.4/24", net.PodNetns), Mapping(8082, 82)), containerId: "pod3", ifName: "net1").Succeeded);

            var gc = Config(null);
            gc["cni.dev/valid-attachments"] = new JsonArray(
                new JsonObject { ["containerID"] = "pod1", ["ifname"] = "eth0" },
                new JsonObject { ["containerID"] = "pod3", ["ifname"] = "eth0" });
            var result = net.Host.Invoke(net.Node, "kybernet-portmap", "GC", gc);

            Assert.True(result.Succeeded, result.Output?.ToJsonString());
            Assert.Equal(3, net.ElementsOf("pod1").Count);
            Assert.Empty(net.ElementsOf("pod2"));
            Assert.Empty(net.ElementsOf("pod3")); // listed with another interface
            Assert.Equal("192.168.77.2", TcpCall(net.Client, NodeIp, 8080));
        });
    }

    [Fact]
    public void An_invalid_ADD_leaves_no_table_behind()
    {
        InNetwork(net =>
        {
            var add = net.Invoke("ADD", Config(PrevResult(netns: net.PodNetns), Mapping(8080, 80), Mapping(8081, 0)));
            Assert.Equal(CniErrorCode.InvalidConfig, add.ErrorCode);
            Assert.Contains("runtimeConfig.portMappings[1].containerPort", add.ErrorMessage);
            Assert.Equal("", net.NodeNft.ListRulesetText());
        });
    }

    /// <summary>Runs the test in a fresh node network and checks that the root namespace's ruleset is exactly as before.</summary>
    private static void InNetwork(Action<PortmapNetwork> test)
    {
        var rootBefore = Tool.Run("nft", "list", "ruleset");
        using (var net = new PortmapNetwork())
            test(net);
        Assert.Equal(rootBefore, Tool.Run("nft", "list", "ruleset"));
    }
}
