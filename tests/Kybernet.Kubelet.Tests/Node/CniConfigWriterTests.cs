using System.Net;
using System.Text.Json.Nodes;
using Kybernet.Cni.Plugins.Bridge;
using Kybernet.Cni.Plugins.HostLocal;
using Kybernet.Cni.Plugins.Portmap;
using Kybernet.Cni.Protocol;
using Kybernet.Kubelet.Node;
using Kybernet.Overlay.Subnets;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Kubelet.Tests.Node;

public sealed class CniConfigWriterTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("kyt-cni-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private CniConfigWriter Writer() => new(Path.Combine(_directory, "net.d"), Path.Combine(_directory, "ipam"), NullLogger.Instance);

    private static SubnetEnv Env(int mtu = 1450) => new(IPNetwork.Parse("10.244.0.0/16"), IPNetwork.Parse("10.244.3.0/24"), mtu, true);

    /// <summary>One plugin of the list as the runtime hands it over: the list's cniVersion and name added.</summary>
    private static CniNetworkConfig Plugin(JsonObject conflist, int index)
    {
        var plugin = conflist["plugins"]![index]!.DeepClone().AsObject();
        plugin["cniVersion"] = conflist["cniVersion"]!.GetValue<string>();
        plugin["name"] = conflist["name"]!.GetValue<string>();
        return CniNetworkConfig.Parse(plugin.ToJsonString());
    }

    [Fact]
    public void The_conflist_is_json_our_plugins_accept_with_the_overlays_subnet_mtu_and_cluster_route()
    {
        var writer = Writer();
        Assert.True(writer.Write(Env()));
        var conflist = JsonNode.Parse(File.ReadAllText(writer.ConfigPath))!.AsObject();
        Assert.Equal("kybernet", conflist["name"]!.GetValue<string>());
        Assert.Equal("1.0.0", conflist["cniVersion"]!.GetValue<string>());
        Assert.Equal(2, conflist["plugins"]!.AsArray().Count);

        var bridgeConfig = Plugin(conflist, 0);
        Assert.Equal("kybernet-bridge", bridgeConfig.Type);
        var bridge = BridgeConfig.Parse(bridgeConfig);
        Assert.Equal("cni0", bridge.Bridge);
        Assert.True(bridge.IsGateway);
        Assert.False(bridge.IpMasq);
        Assert.True(bridge.HairpinMode);
        Assert.Equal(1450, bridge.Mtu);
        Assert.Equal("kybernet-host-local", bridge.IpamType);

        var ipam = HostLocalConfig.Parse(bridgeConfig);
        Assert.Equal(Path.Combine(_directory, "ipam"), ipam.DataDir);
        Assert.Equal("10.244.3.1-10.244.3.254", ipam.RangeSets.Single().ToString());
        Assert.Equal(IPNetwork.Parse("10.244.0.0/16"), ipam.Routes.Single().Destination);

        var portmapConfig = Plugin(conflist, 1);
        Assert.Equal("kybernet-portmap", portmapConfig.Type);
        Assert.True(PortmapConfig.Parse(portmapConfig).Snat);
        Assert.True(conflist["plugins"]![1]!["capabilities"]!["portMappings"]!.GetValue<bool>());
    }

    [Fact]
    public void The_file_is_rewritten_only_when_its_content_changes_and_no_temp_file_stays()
    {
        var writer = Writer();
        Assert.True(writer.Write(Env()));
        var inode = new FileInfo(writer.ConfigPath).LastWriteTimeUtc;
        File.SetLastWriteTimeUtc(writer.ConfigPath, inode - TimeSpan.FromMinutes(1));
        var marked = new FileInfo(writer.ConfigPath).LastWriteTimeUtc;

        Assert.False(writer.Write(Env()));
        Assert.Equal(marked, new FileInfo(writer.ConfigPath).LastWriteTimeUtc);

        Assert.True(writer.Write(Env(mtu: 1400)));
        Assert.Contains("\"mtu\": 1400", File.ReadAllText(writer.ConfigPath));
        Assert.Equal([writer.ConfigPath], Directory.GetFiles(Path.GetDirectoryName(writer.ConfigPath)!));
    }

    [Fact]
    public async Task It_waits_for_the_overlays_subnet_env_then_follows_it()
    {
        var writer = Writer();
        var subnetEnv = Path.Combine(_directory, "run", "subnet.env");
        Assert.Null(writer.WriteFrom(subnetEnv));
        Assert.False(File.Exists(writer.ConfigPath));

        var heard = new List<SubnetEnv>();
        using var stop = new CancellationTokenSource();
        var running = writer.RunAsync(subnetEnv, TimeSpan.FromMilliseconds(20), env => { lock (heard) heard.Add(env); }, stop.Token);
        await SubnetEnvWriter.WriteAsync(subnetEnv, Env());
        await Poll(() => File.Exists(writer.ConfigPath) && HeardCount(heard) == 1);
        await SubnetEnvWriter.WriteAsync(subnetEnv, Env(mtu: 1400));
        await Poll(() => File.ReadAllText(writer.ConfigPath).Contains("\"mtu\": 1400") && HeardCount(heard) == 2);
        await stop.CancelAsync();
        await running;
    }

    private static int HeardCount(List<SubnetEnv> heard)
    {
        lock (heard)
            return heard.Count;
    }

    private static async Task Poll(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 10 s");
            await Task.Delay(20);
        }
    }
}
