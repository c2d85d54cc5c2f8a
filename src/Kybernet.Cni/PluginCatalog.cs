using Kybernet.Cni.Protocol;

namespace Kybernet.Cni;

/// <summary>Kybernet's CNI plugins by executable name: the names the multi-call binary answers to.</summary>
public static class PluginCatalog
{
    private static readonly Dictionary<string, Func<ICniPlugin>> Plugins = new()
    {
        ["kybernet-bridge"] = () => new Plugins.Bridge.BridgePlugin(),
        ["kybernet-host-local"] = () => new Plugins.HostLocal.HostLocalPlugin(),
        ["kybernet-loopback"] = () => new Plugins.Loopback.LoopbackPlugin(),
        ["kybernet-portmap"] = () => new Plugins.Portmap.PortmapPlugin(),
        // containerd's CRI brings up every sandbox's lo itself, by running the plugin named exactly "loopback" from its
        // bin_dir: ours answers to that name too, so a node needs no reference plugins.
        ["loopback"] = () => new Plugins.Loopback.LoopbackPlugin(),
    };

    public static IEnumerable<string> Names => Plugins.Keys.Order();

    public static ICniPlugin? Find(string name) => Plugins.TryGetValue(name, out var create) ? create() : null;
}
