using System.Text.Json.Nodes;
using Kybernet.Cni.Protocol;

namespace Kybernet.Cni;

/// <summary>
/// The conflist a Kybernet node uses for its pod subnet: the bridge (cni0, gateway .1, default route
/// through it, hairpin so a pod can reach itself through a Service), host-local for the node's
/// subnet, and portmap for hostPorts, as flannel's own CNI config chains them. With a cluster network
/// given, host-local also returns a route to it through the gateway (flannel's delegate does the same),
/// Portmap's hairpin SNAT (its default) is spelled out for whoever reads the file.
/// </summary>
public static class DefaultConflist
{
    public static JsonObject Build(string subnet, string name = "kybernet", string bridge = "cni0", int? mtu = null, bool ipMasq = false, string dataDir = "/var/lib/cni/networks",
        string? clusterNetwork = null)
    {
        CniResult.ParseNetwork(subnet, "subnet");
        var ipam = new JsonObject
        {
            ["type"] = "kybernet-host-local",
            ["ranges"] = new JsonArray(new JsonArray(new JsonObject { ["subnet"] = subnet })),
            ["dataDir"] = dataDir,
        };
        if (clusterNetwork is not null)
        {
            CniResult.ParseNetwork(clusterNetwork, "clusterNetwork");
            ipam["routes"] = new JsonArray(new JsonObject { ["dst"] = clusterNetwork });
        }
        var portmap = new JsonObject
        {
            ["type"] = "kybernet-portmap",
            ["capabilities"] = new JsonObject { ["portMappings"] = true },
            ["snat"] = true,
        };
        var bridgePlugin = new JsonObject
        {
            ["type"] = "kybernet-bridge",
            ["bridge"] = bridge,
            ["isGateway"] = true,
            ["isDefaultGateway"] = true,
            ["hairpinMode"] = true,
            ["ipMasq"] = ipMasq,
            ["ipam"] = ipam,
        };
        if (mtu is int m)
            bridgePlugin["mtu"] = m;
        return new JsonObject
        {
            ["cniVersion"] = "1.0.0",
            ["name"] = name,
            ["plugins"] = new JsonArray(bridgePlugin, portmap),
        };
    }
}
