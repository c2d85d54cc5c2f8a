using System.Text.Json.Nodes;
using Kybernet.Cni.Protocol;

namespace Kybernet.Cni.Tests.Plugins.Bridge;

public sealed class BridgePluginTests : IDisposable
{
    private readonly CniNode _node = new();

    public void Dispose() => _node.Dispose();

    [Fact]
    public void Add_gives_the_reference_result_shape_and_a_working_pod()
    {
        var pod = _node.NewPod();
        var outcome = _node.Run("ADD", _node.BridgeConfig(), "c1", pod);

        Assert.True(outcome.Succeeded, outcome.Output?.ToJsonString());
        var result = outcome.Output!;
        var interfaces = result["interfaces"]!.AsArray();
        Assert.Equal(["cni0", HostVeth("c1"), "eth0"], interfaces.Select(i => i!["name"]!.GetValue<string>()));
        Assert.Equal(CniNode.NetnsPath(pod), interfaces[2]!["sandbox"]!.GetValue<string>());
        Assert.Null(interfaces[0]!["sandbox"]);
        var ip = Assert.Single(result["ips"]!.AsArray())!;
        Assert.Equal("10.244.1.2/24", ip["address"]!.GetValue<string>());
        Assert.Equal("10.244.1.1", ip["gateway"]!.GetValue<string>());
        Assert.Equal(2, ip["interface"]!.GetValue<int>());

        Assert.Contains("10.244.1.2/24", pod.Ip("-4", "-br", "addr", "show", "eth0"));
        Assert.Contains("default via 10.244.1.1 dev eth0", pod.Ip("route"));
        Assert.Contains("10.244.1.1/24", _node.Node.Ip("-4", "-br", "addr", "show", "cni0"));
        Assert.Contains("master cni0", _node.Node.Ip("link", "show", HostVeth("c1")));
        Assert.Equal("1", Tool.Run("ip", "netns", "exec", _node.Node.Name, "cat", "/proc/sys/net/ipv4/ip_forward").Trim());
        Tool.Run("ip", "netns", "exec", pod.Name, "ping", "-c1", "-W1", "10.244.1.1");
    }

    [Fact]
    public void Two_pods_on_the_bridge_reach_each_other()
    {
        var a = _node.NewPod();
        var b = _node.NewPod();
        Assert.True(_node.Run("ADD", _node.BridgeConfig(), "a", a).Succeeded);
        Assert.True(_node.Run("ADD", _node.BridgeConfig(), "b", b).Succeeded);
        Tool.Run("ip", "netns", "exec", a.Name, "ping", "-c1", "-W1", "10.244.1.3");
        Tool.Run("ip", "netns", "exec", b.Name, "ping", "-c1", "-W1", "10.244.1.2");
    }

    [Theory]
    [InlineData("0.3.0")]
    [InlineData("0.3.1")]
    [InlineData("0.4.0")]
    [InlineData("1.1.0")]
    public void Results_are_written_in_the_configs_version(string version)
    {
        var outcome = _node.Run("ADD", _node.BridgeConfig(version), "c1", _node.NewPod());
        Assert.True(outcome.Succeeded, outcome.Output?.ToJsonString());
        Assert.Equal(version, outcome.Output!["cniVersion"]!.GetValue<string>());
        Assert.Equal(CniVersion.IpsCarryVersion(version), outcome.Output["ips"]![0]!["version"] is not null);
    }

    [Fact]
    public void Check_passes_after_add_and_notices_a_removed_address_or_route()
    {
        var pod = _node.NewPod();
        var config = _node.BridgeConfig();
        var added = _node.Run("ADD", config, "c1", pod).Output!;
        var withPrev = CniNode.WithPrevResult(config, added);

        Assert.True(_node.Run("CHECK", withPrev, "c1", pod).Succeeded);

        pod.Ip("route", "del", "default");
        var missingRoute = _node.Run("CHECK", withPrev, "c1", pod);
        Assert.False(missingRoute.Succeeded);
        Assert.Contains("route 0.0.0.0/0", missingRoute.ErrorMessage);

        pod.Ip("route", "add", "default", "via", "10.244.1.1");
        pod.Ip("addr", "del", "10.244.1.2/24", "dev", "eth0");
        var missingAddress = _node.Run("CHECK", withPrev, "c1", pod);
        Assert.False(missingAddress.Succeeded);
        Assert.Contains("10.244.1.2/24", missingAddress.ErrorMessage);

        var noPrev = _node.Run("CHECK", config, "c1", pod);
        Assert.Equal(CniErrorCode.InvalidConfig, noPrev.ErrorCode);
    }

    [Fact]
    public void Del_twice_and_del_of_a_vanished_namespace_succeed_and_leave_nothing()
    {
        var pod = _node.NewPod();
        var config = _node.BridgeConfig();
        Assert.True(_node.Run("ADD", config, "c1", pod).Succeeded);

        Assert.True(_node.Run("DEL", config, "c1", pod).Succeeded);
        Assert.DoesNotContain("eth0", pod.Ip("-br", "link"));
        Assert.DoesNotContain(HostVeth("c1"), _node.Node.Ip("-br", "link"));
        Assert.True(_node.Run("DEL", config, "c1", pod).Succeeded);

        var gone = _node.NewPod();
        Assert.True(_node.Run("ADD", config, "c2", gone).Succeeded);
        Linux.Namespaces.NetworkNamespace.Delete(gone.Name);
        Assert.True(_node.Run("DEL", config, "c2", gone).Succeeded);
        Assert.True(_node.Run("DEL", config, "c3", null).Succeeded);
        // The address of the vanished pod went back to IPAM: the next pod gets it again eventually,
        // and the data dir holds no reservation for c1 or c2.
        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(_node.DataDir, "kytnet")), f => File.ReadAllText(f).StartsWith("c1") || File.ReadAllText(f).StartsWith("c2"));
    }

    [Fact]
    public void A_failed_add_leaves_no_veth_no_address_and_no_rule()
    {
        var pod = _node.NewPod();
        var config = _node.BridgeConfig(extra: new JsonObject { ["ipMasq"] = true });
        config["ipam"]!["ranges"] = JsonNode.Parse("""[[{"subnet":"10.244.9.0/30"}]]""");
        Assert.True(_node.Run("ADD", config, "first", _node.NewPod()).Succeeded); // takes the only address

        var failed = _node.Run("ADD", config, "second", pod);

        Assert.False(failed.Succeeded);
        Assert.Contains("no IP addresses available", failed.ErrorMessage);
        Assert.DoesNotContain("eth0", pod.Ip("-br", "link"));
        Assert.DoesNotContain(HostVeth("second"), _node.Node.Ip("-br", "link"));
        Assert.DoesNotContain("kytnet second", Tool.Run("ip", "netns", "exec", _node.Node.Name, "nft", "list", "ruleset"));
    }

    [Fact]
    public void An_ipam_plugin_that_cannot_be_found_fails_the_add_cleanly()
    {
        var pod = _node.NewPod();
        var config = _node.BridgeConfig(ipam: "no-such-ipam");
        var failed = _node.Run("ADD", config, "c1", pod);
        Assert.False(failed.Succeeded);
        Assert.Contains("no-such-ipam", failed.ErrorMessage);
        Assert.DoesNotContain("eth0", pod.Ip("-br", "link"));
        Assert.DoesNotContain(HostVeth("c1"), _node.Node.Ip("-br", "link"));
    }

    [Theory]
    [InlineData("mtu", "\"big\"", "\"mtu\"")]
    [InlineData("mtu", "10", "\"mtu\"")]
    [InlineData("isGateway", "\"yes\"", "\"isGateway\"")]
    [InlineData("bridge", "\"bad/name\"", "\"bridge\"")]
    [InlineData("vlan", "5000", "\"vlan\"")]
    [InlineData("hairpinMode", "true", "\"promiscMode\"")]
    public void Invalid_configs_are_error_7_naming_the_field(string key, string json, string named)
    {
        var extra = new JsonObject { [key] = JsonNode.Parse(json) };
        if (key == "hairpinMode") extra["promiscMode"] = true;
        var outcome = _node.Run("ADD", _node.BridgeConfig(extra: extra), "c1", _node.NewPod());
        Assert.Equal(CniErrorCode.InvalidConfig, outcome.ErrorCode);
        Assert.Contains(named, outcome.ErrorMessage);
    }

    [Fact]
    public void Add_to_a_namespace_that_does_not_exist_is_error_3()
    {
        var outcome = _node.Host.Invoke(_node.Node.Namespace, "kybernet-bridge", "ADD", _node.BridgeConfig(), "c1", "/run/netns/kyt-no-such-netns");
        Assert.Equal(CniErrorCode.UnknownContainer, outcome.ErrorCode);
        Assert.Contains("kyt-no-such-netns", outcome.ErrorMessage);
    }

    [Fact]
    public void Ip_masquerade_is_added_per_container_and_removed_on_del()
    {
        var pod = _node.NewPod();
        var config = _node.BridgeConfig(extra: new JsonObject { ["ipMasq"] = true });
        Assert.True(_node.Run("ADD", config, "c1", pod).Succeeded);

        var rules = Tool.Run("ip", "netns", "exec", _node.Node.Name, "nft", "list", "table", "ip", "kybernet-bridge");
        Assert.Contains("10.244.1.2 comment \"kytnet c1\"", rules);
        Assert.Contains("masquerade", rules);

        Assert.True(_node.Run("DEL", config, "c1", pod).Succeeded);
        Assert.DoesNotContain("kytnet c1", Tool.Run("ip", "netns", "exec", _node.Node.Name, "nft", "list", "table", "ip", "kybernet-bridge"));
    }

    [Fact]
    public void Hairpin_promiscuous_default_gateway_and_mtu()
    {
        var pod = _node.NewPod();
        var config = _node.BridgeConfig(extra: new JsonObject { ["hairpinMode"] = true, ["isDefaultGateway"] = true, ["mtu"] = 1400 });
        ((JsonObject)config["ipam"]!).Remove("routes");
        var result = _node.Run("ADD", config, "c1", pod).Output!;

        Assert.Equal("0.0.0.0/0", result["routes"]![0]!["dst"]!.GetValue<string>());
        Assert.Equal("10.244.1.1", result["routes"]![0]!["gw"]!.GetValue<string>());
        Assert.Contains("hairpin on", _node.Node.Ip("-d", "link", "show", HostVeth("c1")));
        Assert.Contains("mtu 1400", pod.Ip("link", "show", "eth0"));

        var promisc = _node.NewPod();
        using var other = new CniNode();
        Assert.True(other.Run("ADD", other.BridgeConfig(extra: new JsonObject { ["promiscMode"] = true }), "p1", other.NewPod()).Succeeded);
        Assert.Contains("PROMISC", other.Node.Ip("link", "show", "cni0"));
    }

    [Fact]
    public void Mac_spoof_check_drops_frames_from_other_macs()
    {
        var pod = _node.NewPod();
        var config = _node.BridgeConfig(extra: new JsonObject { ["macspoofchk"] = true });
        var result = _node.Run("ADD", config, "c1", pod).Output!;
        var mac = result["interfaces"]![2]!["mac"]!.GetValue<string>();

        var table = Tool.Run("ip", "netns", "exec", _node.Node.Name, "nft", "list", "table", "bridge", "kybernet-bridge");
        Assert.Contains($"\"{HostVeth("c1")}\" . {mac}", table); // nft quotes names when it prints them
        Tool.Run("ip", "netns", "exec", pod.Name, "ping", "-c1", "-W1", "10.244.1.1");

        pod.Ip("link", "set", "eth0", "address", "02:00:00:00:66:66");
        pod.Ip("neigh", "flush", "all");
        Assert.Throws<InvalidOperationException>(() => Tool.Run("ip", "netns", "exec", pod.Name, "ping", "-c1", "-W1", "10.244.1.1"));

        Assert.True(_node.Run("DEL", config, "c1", pod).Succeeded);
        Assert.DoesNotContain(HostVeth("c1"), Tool.Run("ip", "netns", "exec", _node.Node.Name, "nft", "list", "table", "bridge", "kybernet-bridge"));
    }

    [Fact]
    public void Gc_removes_rules_of_containers_that_are_no_longer_attached()
    {
        var config = _node.BridgeConfig("1.1.0", new JsonObject { ["ipMasq"] = true });
        Assert.True(_node.Run("ADD", config, "keep", _node.NewPod()).Succeeded);
        Assert.True(_node.Run("ADD", config, "stale", _node.NewPod()).Succeeded);

        var gc = (JsonObject)config.DeepClone();
        gc["cni.dev/valid-attachments"] = JsonNode.Parse("""[{"containerID":"keep","ifname":"eth0"}]""");
        var outcome = _node.Host.Invoke(_node.Node.Namespace, "kybernet-bridge", "GC", gc);

        Assert.True(outcome.Succeeded, outcome.Output?.ToJsonString());
        var rules = Tool.Run("ip", "netns", "exec", _node.Node.Name, "nft", "list", "table", "ip", "kybernet-bridge");
        Assert.Contains("kytnet keep", rules);
        Assert.DoesNotContain("kytnet stale", rules);
    }

    private static string HostVeth(string containerId) => Kybernet.Cni.Plugins.Bridge.HostVethName.For(containerId, "eth0");
}
