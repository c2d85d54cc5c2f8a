using System.Text.Json.Nodes;

namespace Kybernet.Cni.Tests.Plugins.Bridge;

/// <summary>
/// Against Debian's reference plugins (containernetworking-plugins in /usr/lib/cni): the same config
/// with only the plugin types changed gives the same result shape, and pods attached by either
/// plugin share one bridge, one address store and reach each other.
/// </summary>
public sealed class ReferenceInteropTests : IDisposable
{
    private readonly CniNode _node = new();

    public void Dispose() => _node.Dispose();

    [Theory]
    [InlineData("0.3.1")]
    [InlineData("0.4.0")]
    [InlineData("1.0.0")]
    public void Same_config_same_result_shape(string version)
    {
        var ours = _node.Run("ADD", _node.BridgeConfig(version), "ours", _node.NewPod()).Output!;
        var theirs = _node.Run("ADD", _node.BridgeConfig(version, bridgeType: "bridge", ipam: "host-local"), "theirs", _node.NewPod(), plugin: "/usr/lib/cni/bridge").Output!;

        Assert.Equal(Shape(theirs), Shape(ours));
        Assert.Equal(theirs["routes"]!.ToJsonString(), ours["routes"]!.ToJsonString());
        Assert.Equal(theirs["ips"]![0]!["gateway"]!.ToJsonString(), ours["ips"]![0]!["gateway"]!.ToJsonString());
        Assert.Equal("10.244.1.2/24", ours["ips"]![0]!["address"]!.GetValue<string>());
        Assert.Equal("10.244.1.3/24", theirs["ips"]![0]!["address"]!.GetValue<string>()); // one shared store: no clash
    }

    [Fact]
    public void Pods_attached_by_either_plugin_reach_each_other()
    {
        var ours = _node.NewPod();
        var theirs = _node.NewPod();
        Assert.True(_node.Run("ADD", _node.BridgeConfig(), "ours", ours).Succeeded);
        Assert.True(_node.Run("ADD", _node.BridgeConfig(bridgeType: "bridge", ipam: "host-local"), "theirs", theirs, plugin: "/usr/lib/cni/bridge").Succeeded);

        Tool.Run("ip", "netns", "exec", ours.Name, "ping", "-c1", "-W1", "10.244.1.3");
        Tool.Run("ip", "netns", "exec", theirs.Name, "ping", "-c1", "-W1", "10.244.1.2");

        // Each DEL cleans up after its own ADD, and the other pod is untouched.
        Assert.True(_node.Run("DEL", _node.BridgeConfig(), "ours", ours).Succeeded);
        Assert.Contains("10.244.1.3/24", theirs.Ip("-4", "-br", "addr", "show", "eth0"));
        Assert.True(_node.Run("DEL", _node.BridgeConfig(bridgeType: "bridge", ipam: "host-local"), "theirs", theirs, plugin: "/usr/lib/cni/bridge").Succeeded);
    }

    [Fact]
    public void Thirty_two_concurrent_adds_get_thirty_two_distinct_addresses()
    {
        var pods = Enumerable.Range(0, 32).Select(_ => _node.NewPod()).ToList();
        var config = _node.BridgeConfig();
        var outcomes = new PluginOutcome[pods.Count];
        // Threads of their own, not the pool: 32 callers blocked on pipes would starve it.
        var threads = pods.Select((pod, i) => new Thread(() => outcomes[i] = _node.Run("ADD", config, $"c{i}", pod))).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.All(outcomes, o => Assert.True(o.Succeeded, o.Output?.ToJsonString()));
        var addresses = outcomes.Select(o => o.Output!["ips"]![0]!["address"]!.GetValue<string>()).ToList();
        Assert.Equal(32, addresses.Distinct().Count());
        Assert.Equal(32, _node.Node.Ip("-br", "link").Split('\n').Count(l => l.StartsWith("veth", StringComparison.Ordinal)));
    }

    /// <summary>The result's structure: every key path, with list positions but without values.</summary>
    private static List<string> Shape(JsonNode? node, string path = "")
    {
        return node switch
        {
            JsonObject o => o.Where(p => p.Key != "cniVersion").SelectMany(p => Shape(p.Value, $"{path}.{p.Key}").Prepend($"{path}.{p.Key}")).Order().ToList(),
            JsonArray a => a.SelectMany((item, i) => Shape(item, $"{path}[{i}]")).ToList(),
            _ => [],
        };
    }
}
