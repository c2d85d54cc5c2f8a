using System.Text.Json.Nodes;
using Kybernet.Cni.Protocol;

namespace Kybernet.Cni.Tests.Plugins.Portmap;

/// <summary>Configs and requests as a runtime would send them to kybernet-portmap in a conflist after the bridge plugin.</summary>
internal static class PortmapConfigs
{
    /// <summary>What a bridge plugin would have returned for a pod at <paramref name="podAddress"/> behind eth0.</summary>
    public static JsonObject PrevResult(string podAddress = "10.244.1.2/24", string netns = "/run/netns/pod") => new()
    {
        ["cniVersion"] = "1.1.0",
        ["interfaces"] = new JsonArray(
            new JsonObject { ["name"] = "cni0", ["mac"] = "0a:58:0a:f4:01:01" },
            new JsonObject { ["name"] = "vethpod", ["mac"] = "0a:58:0a:f4:01:02" },
            new JsonObject { ["name"] = "eth0", ["mac"] = "0a:58:0a:f4:01:03", ["sandbox"] = netns }),
        ["ips"] = new JsonArray(
            new JsonObject { ["address"] = podAddress, ["gateway"] = "10.244.1.1", ["interface"] = 2 },
            new JsonObject { ["address"] = "fd00:10:244:1::2/64", ["interface"] = 2 }),
        ["routes"] = new JsonArray(new JsonObject { ["dst"] = "0.0.0.0/0", ["gw"] = "10.244.1.1" }),
        ["dns"] = new JsonObject(),
    };

    public static JsonObject Mapping(int hostPort, int containerPort, string? protocol = null, string? hostIp = null)
    {
        var o = new JsonObject { ["hostPort"] = hostPort, ["containerPort"] = containerPort };
        if (protocol is not null) o["protocol"] = protocol;
        if (hostIp is not null) o["hostIP"] = hostIp;
        return o;
    }

    public static JsonObject Config(JsonObject? prevResult, params JsonNode[] mappings)
    {
        var config = new JsonObject
        {
            ["cniVersion"] = "1.1.0",
            ["name"] = "kybernet",
            ["type"] = "kybernet-portmap",
            ["capabilities"] = new JsonObject { ["portMappings"] = true },
            ["snat"] = true,
            ["runtimeConfig"] = new JsonObject { ["portMappings"] = new JsonArray(mappings) },
        };
        if (prevResult is not null)
            config["prevResult"] = prevResult;
        return config;
    }

    public static CniRequest Request(CniOperation command, JsonObject config, string containerId = "c1", string ifName = "eth0") => new(
        new CniEnvironment { Command = command, ContainerId = containerId, IfName = ifName, Netns = "/run/netns/pod", Path = ["/opt/cni/bin"] },
        CniNetworkConfig.Parse(config.ToJsonString()));
}
