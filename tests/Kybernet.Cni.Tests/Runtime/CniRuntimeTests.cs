using System.Text.Json.Nodes;
using Kybernet.Cni.Protocol;
using Kybernet.Cni.Runtime;
using Kybernet.Linux.Netlink;

namespace Kybernet.Cni.Tests.Runtime;

/// <summary>The runtime side: a whole conflist run against the real plugins in a throwaway node namespace.</summary>
public sealed class CniRuntimeTests : IDisposable
{
    private readonly CniNode _node = new();

    public void Dispose() => _node.Dispose();

    [Fact]
    public void Add_chains_the_plugins_and_del_undoes_them_all()
    {
        var pod = _node.NewPod();
        var conflist = DefaultConflist.Build("10.244.7.0/24", mtu: 1450, dataDir: _node.DataDir);
        var attachment = Attachment(pod, "runtime-1");

        var result = CniRuntime.AddNetworkList(conflist, attachment);

        // portmap passes the bridge's result on (it was given it as prevResult), so the chain's result is the bridge's.
        Assert.Equal("10.244.7.2/24", result["ips"]![0]!["address"]!.GetValue<string>());
        using (var netlink = RtNetlink.Open(pod.Namespace))
        {
            var eth0 = netlink.Links.Find("eth0");
            Assert.NotNull(eth0);
            Assert.Equal(1450, eth0.Mtu);
        }
        Assert.True(File.Exists(Path.Combine(_node.DataDir, "kybernet", "10.244.7.2")));

        CniRuntime.DelNetworkList(conflist, attachment, result);
        CniRuntime.DelNetworkList(conflist, attachment, result); // DEL twice is fine

        using (var netlink = RtNetlink.Open(pod.Namespace))
            Assert.Null(netlink.Links.Find("eth0"));
        Assert.False(File.Exists(Path.Combine(_node.DataDir, "kybernet", "10.244.7.2")));
    }

    [Fact]
    public void A_node_conflist_with_its_cluster_network_routes_it_and_the_default_through_the_gateway()
    {
        var pod = _node.NewPod();
        var conflist = DefaultConflist.Build("10.244.11.0/24", mtu: 1450, dataDir: _node.DataDir, clusterNetwork: "10.244.0.0/16");
        var attachment = Attachment(pod, "runtime-6");

        var result = CniRuntime.AddNetworkList(conflist, attachment);

        using (var netlink = RtNetlink.Open(pod.Namespace))
        {
            var routes = netlink.Routes.List().Where(r => r.Gateway is not null).Select(r => (r.Destination.ToString(), r.Gateway!.ToString())).ToList();
            Assert.Contains(("10.244.0.0/16", "10.244.11.1"), routes);
            Assert.Contains(("0.0.0.0/0", "10.244.11.1"), routes);
        }
        CniRuntime.DelNetworkList(conflist, attachment, result);
    }

    [Fact]
    public void A_failed_add_is_undone_and_reports_the_plugins_error()
    {
        var pod = _node.NewPod();
        var conflist = DefaultConflist.Build("10.244.8.0/24", dataDir: _node.DataDir);
        ((JsonArray)conflist["plugins"]!).Add(new JsonObject { ["type"] = "no-such-plugin" });

        var error = Assert.Throws<CniException>(() => CniRuntime.AddNetworkList(conflist, Attachment(pod, "runtime-2")));

        Assert.Contains("no-such-plugin", error.Message);
        using (var netlink = RtNetlink.Open(pod.Namespace))
            Assert.Null(netlink.Links.Find("eth0"));
        // host-local's address reservation is gone again (only its lock and last_reserved_ip files stay).
        Assert.DoesNotContain(Directory.EnumerateFiles(Path.Combine(_node.DataDir, "kybernet")).Select(Path.GetFileName), f => f!.StartsWith("10.244.8.", StringComparison.Ordinal));
    }

    [Fact]
    public void A_plugin_that_cannot_be_started_is_a_failed_step_and_the_add_is_undone()
    {
        var pod = _node.NewPod();
        var bin = Directory.CreateTempSubdirectory("kyt-cnibin-broken-");
        try
        {
            File.WriteAllText(Path.Combine(bin.FullName, "not-executable"), "#!/bin/sh\n");
            var conflist = DefaultConflist.Build("10.244.9.0/24", dataDir: _node.DataDir);
            ((JsonArray)conflist["plugins"]!).Add(new JsonObject { ["type"] = "not-executable" });
            var attachment = Attachment(pod, "runtime-4") with { PluginPath = [_node.Host.BinDirectory, bin.FullName] };

            var error = Assert.Throws<CniException>(() => CniRuntime.AddNetworkList(conflist, attachment));

            Assert.Contains("not-executable ADD", error.Message);
            using var netlink = RtNetlink.Open(pod.Namespace);
            Assert.Null(netlink.Links.Find("eth0"));
            Assert.DoesNotContain(Directory.EnumerateFiles(Path.Combine(_node.DataDir, "kybernet")).Select(Path.GetFileName), f => f!.StartsWith("10.244.9.", StringComparison.Ordinal));
        }
        finally
        {
            bin.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_rollback_that_cannot_undo_a_plugin_says_so()
    {
        var pod = _node.NewPod();
        var bin = Directory.CreateTempSubdirectory("kyt-cnibin-sticky-");
        try
        {
            // A plugin whose ADD passes the result on and whose DEL always fails.
            var sticky = Path.Combine(bin.FullName, "sticky");
            File.WriteAllText(sticky, """
                #!/bin/sh
                if [ "$CNI_COMMAND" = ADD ]; then
                    python3 -c 'import json,sys; c=json.load(sys.stdin); print(json.dumps(c["prevResult"]))'
                    exit 0
                fi
                echo '{"cniVersion":"1.0.0","code":11,"msg":"cannot let go"}'
                exit 1
                """);
            File.SetUnixFileMode(sticky, (UnixFileMode)0b111_101_101);
            var conflist = DefaultConflist.Build("10.244.10.0/24", dataDir: _node.DataDir);
            var plugins = (JsonArray)conflist["plugins"]!;
            plugins.Insert(1, new JsonObject { ["type"] = "sticky" });
            plugins.Add(new JsonObject { ["type"] = "no-such-plugin" });
            var attachment = Attachment(pod, "runtime-5") with { PluginPath = [_node.Host.BinDirectory, bin.FullName] };

            var error = Assert.Throws<CniRollbackFailedException>(() => CniRuntime.AddNetworkList(conflist, attachment));

            Assert.Contains("no-such-plugin", error.Message);
            Assert.Contains("cannot let go", error.Rollback.Message);
            using var netlink = RtNetlink.Open(pod.Namespace);
            Assert.Null(netlink.Links.Find("eth0")); // what could be undone was
        }
        finally
        {
            bin.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_conflist_without_plugins_is_an_invalid_config()
    {
        var error = Assert.Throws<CniException>(() => CniRuntime.AddNetworkList(
            new JsonObject { ["cniVersion"] = "1.0.0", ["name"] = "empty", ["plugins"] = new JsonArray() }, Attachment(_node.NewPod(), "runtime-3")));
        Assert.Equal(CniErrorCode.InvalidConfig, error.Code);
        Assert.Contains("\"plugins\"", error.Message);
    }

    private PodAttachment Attachment(TestNamespace pod, string containerId) =>
        new(_node.Node.Namespace, containerId, CniNode.NetnsPath(pod), "eth0", [_node.Host.BinDirectory]);
}
