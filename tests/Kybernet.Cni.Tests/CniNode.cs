using System.Text.Json.Nodes;

namespace Kybernet.Cni.Tests;

/// <summary>
/// A throwaway "node" namespace where plugins run (their bridge and rules land there), pods to attach,
/// an IPAM data directory of its own, and helpers to build configs. Everything goes on dispose.
/// </summary>
public sealed class CniNode : IDisposable
{
    /// <summary>The IPAM plugin the bridge tests delegate to.</summary>
    public const string Ipam = "host-local";

    private readonly List<TestNamespace> _pods = [];

    public CniNode()
    {
        Host.ExtraPath.Add("/usr/lib/cni");
        DataDir = Path.Combine(Path.GetTempPath(), $"kyt-ipam-{Guid.NewGuid():N}");
    }

    public TestNamespace Node { get; } = new();
    public PluginHost Host { get; } = new();
    public string DataDir { get; }

    public TestNamespace NewPod()
    {
        var pod = new TestNamespace();
        _pods.Add(pod);
        return pod;
    }

    public static string NetnsPath(TestNamespace pod) => $"/run/netns/{pod.Name}";

    /// <summary>A bridge config on 10.244.1.0/24 with a default route; <paramref name="extra"/> adds or overrides keys.</summary>
    public JsonObject BridgeConfig(string version = "1.0.0", JsonObject? extra = null, string subnet = "10.244.1.0/24", string bridgeType = "kybernet-bridge", string ipam = Ipam)
    {
        var config = new JsonObject
        {
            ["cniVersion"] = version,
            ["name"] = "kytnet",
            ["type"] = bridgeType,
            ["bridge"] = "cni0",
            ["isGateway"] = true,
            ["ipam"] = new JsonObject
            {
                ["type"] = ipam,
                ["ranges"] = new JsonArray(new JsonArray(new JsonObject { ["subnet"] = subnet })),
                ["routes"] = new JsonArray(new JsonObject { ["dst"] = "0.0.0.0/0" }),
                ["dataDir"] = DataDir,
            },
        };
        foreach (var (key, value) in extra ?? [])
            config[key] = value?.DeepClone();
        return config;
    }

    public PluginOutcome Run(string command, JsonObject config, string containerId, TestNamespace? pod, string ifName = "eth0", string? plugin = null) =>
        Host.Invoke(Node.Namespace, plugin ?? config["type"]!.GetValue<string>(), command, config, containerId,
            pod is null ? null : NetnsPath(pod), ifName);

    public static JsonObject WithPrevResult(JsonObject config, JsonObject result)
    {
        var copy = (JsonObject)config.DeepClone();
        copy["prevResult"] = result.DeepClone();
        return copy;
    }

    public void Dispose()
    {
        foreach (var pod in _pods)
            pod.Dispose();
        Node.Dispose();
        Host.Dispose();
        if (Directory.Exists(DataDir))
            Directory.Delete(DataDir, recursive: true);
    }
}
