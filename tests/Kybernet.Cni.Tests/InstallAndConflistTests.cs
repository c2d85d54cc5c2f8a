using System.Text.Json.Nodes;
using Kybernet.Cni.Protocol;

namespace Kybernet.Cni.Tests;

public sealed class InstallAndConflistTests
{
    [Fact]
    public void Install_puts_one_binary_and_a_working_symlink_per_plugin()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"kyt-install-{Guid.NewGuid():N}");
        try
        {
            CniInstaller.Install(PluginHost.NativeBinary, dir);
            CniInstaller.Install(PluginHost.NativeBinary, dir); // again: replaces, does not fail

            Assert.Equal(PluginCatalog.Names.Append(CniInstaller.BinaryName).Order(), Directory.GetFileSystemEntries(dir).Select(Path.GetFileName).Order());
            using var host = new TestNamespace();
            var outcome = new PluginHost().Invoke(host.Namespace, Path.Combine(dir, "kybernet-bridge"), "VERSION", new JsonObject());
            Assert.Contains("1.0.0", outcome.Output!["supportedVersions"]!.AsArray().Select(v => v!.GetValue<string>()));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Default_conflist_chains_bridge_and_portmap_on_the_nodes_subnet()
    {
        var conflist = DefaultConflist.Build("10.244.3.0/24", mtu: 1450);
        var plugins = conflist["plugins"]!.AsArray();
        Assert.Equal(["kybernet-bridge", "kybernet-portmap"], plugins.Select(p => p!["type"]!.GetValue<string>()));
        Assert.Equal("10.244.3.0/24", plugins[0]!["ipam"]!["ranges"]![0]![0]!["subnet"]!.GetValue<string>());
        Assert.Equal(1450, plugins[0]!["mtu"]!.GetValue<int>());
        Assert.Equal(CniErrorCode.InvalidConfig, Assert.Throws<CniException>(() => DefaultConflist.Build("10.244.3.0")).Code);
    }
}
