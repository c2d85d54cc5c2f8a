using System.Text.Json.Nodes;

namespace Kybernet.Cni.Tests.Plugins.HostLocal;

/// <summary>
/// A throwaway namespace to run plugin processes in, a CNI bin dir that also reaches the reference
/// plugins, and a temp data dir (deleted on dispose). IPAM touches no namespace, but PluginHost starts
/// every process in one, so it is a fresh one and never the root namespace.
/// </summary>
public sealed class HostLocalHarness : IDisposable
{
    public const string Ours = "kybernet-host-local";
    public const string Reference = "/usr/lib/cni/host-local";

    public HostLocalHarness()
    {
        Host.ExtraPath.Add("/usr/lib/cni");
        DataDir = Path.Combine(Path.GetTempPath(), $"{TestNames.Unique()}-ipam-{Guid.NewGuid():N}");
    }

    public TestNamespace Namespace { get; } = new();
    public PluginHost Host { get; } = new();
    public string DataDir { get; }
    public string NetworkName { get; } = TestNames.Unique();
    public string NetworkDir => Path.Combine(DataDir, NetworkName);

    /// <summary>A network config whose ipam has the given range sets (each a list of range objects).</summary>
    public JsonObject Config(string cniVersion = "1.0.0", params JsonArray[] rangeSets) => Config(cniVersion, ipam =>
        ipam["ranges"] = new JsonArray(rangeSets.Select(s => (JsonNode?)s.DeepClone()).ToArray()));

    public JsonObject Config(string cniVersion, Action<JsonObject> fillIpam)
    {
        var ipam = new JsonObject { ["type"] = "host-local", ["dataDir"] = DataDir };
        fillIpam(ipam);
        return new JsonObject { ["cniVersion"] = cniVersion, ["name"] = NetworkName, ["type"] = "host-local", ["ipam"] = ipam };
    }

    public static JsonArray Set(params JsonObject[] ranges) => new(ranges.Select(r => (JsonNode?)r).ToArray());

    public static JsonObject Range(string subnet, string? start = null, string? end = null, string? gateway = null)
    {
        var r = new JsonObject { ["subnet"] = subnet };
        if (start is not null) r["rangeStart"] = start;
        if (end is not null) r["rangeEnd"] = end;
        if (gateway is not null) r["gateway"] = gateway;
        return r;
    }

    public PluginOutcome Run(string command, JsonObject config, string containerId, string ifName = "eth0",
        string? args = null, string plugin = Ours) =>
        Host.Invoke(Namespace, plugin, command, config, containerId, netns: "/proc/self/ns/net", ifName: ifName, args: args);

    public PluginOutcome Add(JsonObject config, string containerId, string ifName = "eth0", string? args = null, string plugin = Ours) =>
        Run("ADD", config, containerId, ifName, args, plugin);

    public PluginOutcome Del(JsonObject config, string containerId, string ifName = "eth0", string plugin = Ours) =>
        Run("DEL", config, containerId, ifName, plugin: plugin);

    /// <summary>The addresses an ADD returned, e.g. ["10.244.1.2/24"]; fails the test with the plugin's error otherwise.</summary>
    public static List<string> Addresses(PluginOutcome outcome)
    {
        Assert.True(outcome.Succeeded, $"plugin failed ({outcome.ExitCode}): {outcome.Output?.ToJsonString()} {outcome.Stderr}");
        return outcome.Output!["ips"]!.AsArray().Select(ip => ip!["address"]!.GetValue<string>()).ToList();
    }

    public string ReservedAddress(PluginOutcome outcome) => Assert.Single(Addresses(outcome)).Split('/')[0];

    /// <summary>Reservation files on disk (named by address), without lock and last_reserved_ip.N.</summary>
    public List<string> ReservationFiles() => Directory.Exists(NetworkDir)
        ? Directory.GetFiles(NetworkDir).Select(Path.GetFileName).OfType<string>()
            .Where(n => n != "lock" && !n.StartsWith("last_reserved_ip.") && !n.StartsWith('.')).Order().ToList()
        : [];

    public void Dispose()
    {
        try
        {
            if (Directory.Exists(DataDir))
                Directory.Delete(DataDir, recursive: true);
        }
        finally
        {
            Host.Dispose();
            Namespace.Dispose();
        }
    }
}
