using System.Text.Json.Nodes;

namespace Kybernet.Cni.Tests.Plugins.Loopback;

public sealed class LoopbackPluginTests : IDisposable
{
    private readonly CniNode _node = new();
    private static readonly JsonObject Config = new() { ["cniVersion"] = "1.0.0", ["name"] = "lo", ["type"] = "kybernet-loopback" };

    public void Dispose() => _node.Dispose();

    [Fact]
    public void Add_brings_lo_up_and_reports_it_like_the_reference()
    {
        var pod = _node.NewPod();
        var outcome = _node.Run("ADD", Config, "c1", pod, ifName: "lo");

        Assert.True(outcome.Succeeded, outcome.Output?.ToJsonString());
        Assert.Equal("lo", outcome.Output!["interfaces"]![0]!["name"]!.GetValue<string>());
        Assert.Equal(["127.0.0.1/8", "::1/128"], outcome.Output["ips"]!.AsArray().Select(i => i!["address"]!.GetValue<string>()));
        Assert.Contains("UP", pod.Ip("-br", "link", "show", "lo"));
        Tool.Run("ip", "netns", "exec", pod.Name, "ping", "-c1", "-W1", "127.0.0.1");
        Assert.True(_node.Run("CHECK", CniNode.WithPrevResult(Config, outcome.Output), "c1", pod, ifName: "lo").Succeeded);
    }

    [Fact]
    public void Del_takes_lo_down_and_tolerates_a_vanished_namespace()
    {
        var pod = _node.NewPod();
        Assert.True(_node.Run("ADD", Config, "c1", pod, ifName: "lo").Succeeded);
        Assert.True(_node.Run("DEL", Config, "c1", pod, ifName: "lo").Succeeded);
        Assert.Contains("DOWN", pod.Ip("-br", "link", "show", "lo"));
        Assert.False(_node.Run("CHECK", CniNode.WithPrevResult(Config, new JsonObject()), "c1", pod, ifName: "lo").Succeeded);

        Linux.Namespaces.NetworkNamespace.Delete(pod.Name);
        Assert.True(_node.Run("DEL", Config, "c1", pod, ifName: "lo").Succeeded);
    }
}
