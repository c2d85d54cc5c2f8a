using System.Text.Json.Nodes;
using Kybernet.Overlay.Subnets;

namespace Kybernet.Lab;

/// <summary>
/// The overlay's network config, flannel's JSON. In etcd mode it is put into the lab's etcd the way flannel's
/// docs do it: etcdctl, run in the control plane, writes it under /coreos.com/network/config before any agent
/// starts. In kube mode it is the agents' net-conf.json file (what kube-flannel mounts from a ConfigMap).
/// </summary>
public static class LabNetworkConfig
{
    /// <summary>DATA_DIR/net-conf.json, kube mode's config file.</summary>
    public static string NetConfPath(string dataDirectory) => Path.Combine(dataDirectory, "net-conf.json");

    /// <summary>Removes DATA_DIR/net-conf.json if it is there (the directory itself may be gone).</summary>
    public static void RemoveNetConf(string dataDirectory)
    {
        if (File.Exists(NetConfPath(dataDirectory)))
            File.Delete(NetConfPath(dataDirectory));
    }

    /// <summary>Publishes the config where the lab's subnet manager reads it.</summary>
    public static void Apply(LabTopology topology, string dataDirectory)
    {
        if (topology.SubnetManager == "kube")
        {
            var path = NetConfPath(dataDirectory);
            File.WriteAllText(path + ".tmp", Render(topology));
            File.Move(path + ".tmp", path, overwrite: true);
        }
        else
        {
            Put(topology);
        }
    }

    public const string EtcdctlPath = "/usr/bin/etcdctl";
    public const string Key = EtcdSubnetManagerOptions.DefaultPrefix + "/config";

    /// <summary>flannel's network config JSON for the lab's pod network and backend (a /24 per node).</summary>
    public static string Render(LabTopology topology) => new JsonObject
    {
        ["Network"] = topology.PodNetwork.ToString(),
        ["SubnetLen"] = 24,
        ["Backend"] = new JsonObject { ["Type"] = topology.Backend },
    }.ToJsonString();

    public static void Put(LabTopology topology) =>
        LabProcesses.Run(topology.ControlPlane, EtcdctlPath,
            ["--endpoints", string.Join(',', topology.Etcd.Select(m => m.ClientUrl)), "put", Key, Render(topology)],
            new Dictionary<string, string> { ["ETCDCTL_API"] = "3" });
}
