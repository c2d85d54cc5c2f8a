using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Kybernet.Lab;

/// <summary>
/// The overlay's network config, put into the lab's etcd the way flannel's docs do it: etcdctl, run in the
/// control plane, writes flannel's JSON under /coreos.com/network/config before any agent starts.
/// </summary>
public static class LabNetworkConfig
{
    public const string EtcdctlPath = "/usr/bin/etcdctl";
    public const string Key = "/coreos.com/network/config";

    /// <summary>flannel's network config JSON for the lab's pod network and backend (a /24 per node).</summary>
    public static string Render(LabTopology topology) => new JsonObject
    {
        ["Network"] = topology.PodNetwork.ToString(),
        ["SubnetLen"] = 24,
        ["Backend"] = new JsonObject { ["Type"] = topology.Backend },
    }.ToJsonString();

    public static void Put(LabTopology topology)
    {
        var start = new ProcessStartInfo(EtcdctlPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["ETCDCTL_API"] = "3" },
        };
        foreach (var arg in new[] { "--endpoints", string.Join(',', topology.Etcd.Select(m => m.ClientUrl)), "put", Key, Render(topology) })
            start.ArgumentList.Add(arg);
        using var process = Lab.Start(topology.ControlPlane, start);
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new LabException($"etcdctl put {Key} failed (exit {process.ExitCode}): {stderr.Result.Trim()} {stdout.Trim()}");
    }
}
