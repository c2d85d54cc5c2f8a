using System.Globalization;
using Kybernet.Linux;
using Kybernet.Linux.Files;
using Kybernet.Overlay.Subnets;

namespace Kybernet.Lab;

/// <summary>
/// One `kybernet agent` per node, started inside the node's namespace (as flanneld runs on a machine),
/// reading the network config and the leases from the lab's etcd. Each node keeps its subnet.env and
/// the agent's log in DATA_DIR/nodes/NODE/. An agent process is the lab's only if it is alive and its
/// command line names a subnet file under that directory.
/// </summary>
public sealed class LabAgents(string dataDirectory)
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    /// <summary>DATA_DIR/nodes: per-node files (subnet.env, agent log, IPAM state); `down` removes it.</summary>
    public string Directory { get; } = Path.Combine(dataDirectory, "nodes");

    public string NodeDirectory(string node) => Path.Combine(Directory, node);

    /// <summary>The node's subnet.env, what flannel keeps in /run/flannel/subnet.env.</summary>
    public string SubnetFile(string node) => Path.Combine(NodeDirectory(node), "subnet.env");

    public string LogPath(string node) => Path.Combine(NodeDirectory(node), "agent.log");

    /// <summary>Starts the node's agent; returns it with its pid.</summary>
    public LabAgent Start(LabTopology topology, LabPrograms programs, LabAgent agent)
    {
        var node = topology.Machine(agent.Node);
        var containerd = new LabContainerd(dataDirectory, this);
        var argv = programs.Kybernet.Concat(
        [
            "agent",
            "--iface", LabTopology.MachineInterface,
            "--subnet-file", SubnetFile(node.Name),
            "--resync-period", ((long)topology.ResyncPeriod.TotalSeconds).ToString(CultureInfo.InvariantCulture),
        ]).Concat(topology.SubnetManager == "kube"
            ?
            [
                "--kube-subnet-mgr", "--kubeconfig", WriteNodeKubeconfig(node, programs),
                "--node-name", node.Name, "--net-conf", LabNetworkConfig.NetConfPath(dataDirectory),
                // The kubelet, on the node's own containerd (LabContainerd), everything under the node's directory.
                "--kubelet", "--container-runtime-endpoint", containerd.Endpoint(topology, node.Name),
                "--root-dir", Path.Combine(NodeDirectory(node.Name), "kubelet"),
                "--pod-log-dir", Path.Combine(NodeDirectory(node.Name), "pod-logs"),
                "--cni-conf-dir", containerd.CniConfDirectory(node.Name),
                "--cni-ipam-dir", Path.Combine(NodeDirectory(node.Name), "ipam"),
                "--cgroup-parent", LabContainerd.CgroupParent(topology, node.Name),
                // Its API's certificate, which `kubeconfig node --kubelet-address` signed with the cluster CA beside the kubeconfig.
                "--tls-cert-file", Path.Combine(NodeDirectory(node.Name), "kubelet.crt"),
                "--tls-private-key-file", Path.Combine(NodeDirectory(node.Name), "kubelet.key"),
            ]
            :
            [
                "--etcd-endpoints", string.Join(',', topology.Etcd.Select(m => m.ClientUrl)),
                "--lease-ttl", ((long)topology.LeaseTtl.TotalSeconds).ToString(CultureInfo.InvariantCulture),
            ]).Concat(topology.IpMasq ? ["--ip-masq"] : []).ToList();
        return agent with { Pid = LabProcesses.Start(node, argv, LogPath(node.Name), IsAgentOfThisLab) };
    }

    /// <summary>DATA_DIR/nodes/NODE/kubeconfig: the agent's own identity (system:node:NODE), not the admin's.</summary>
    public string KubeconfigPath(string node) => Path.Combine(NodeDirectory(node), "kubeconfig");

    /// <summary>
    /// Makes the node's kubeconfig with `kybernet kubeconfig node`, from the server's CA and signing key, and beside it the
    /// kubelet's serving certificate for the node's address (kubelet.crt, kubelet.key); returns the kubeconfig's path.
    /// </summary>
    private string WriteNodeKubeconfig(LabMachine node, LabPrograms programs)
    {
        System.IO.Directory.CreateDirectory(NodeDirectory(node.Name));
        var path = KubeconfigPath(node.Name);
        LabProcesses.Run(node, programs.Kybernet[0],
            [.. programs.Kybernet.Skip(1), "kubeconfig", "node", node.Name, "--data-dir", new LabServer(dataDirectory).Directory, "-o", path,
                "--kubelet-address", node.Address.Address.ToString()]);
        return path;
    }

    /// <summary>
    /// Waits (bounded) until each agent has written its node's subnet.env, the sign that it holds a
    /// lease and has set up its backend. <paramref name="since"/> ignores a subnet.env left by an earlier run.
    /// </summary>
    public void WaitReady(IEnumerable<LabAgent> agents, DateTime since)
    {
        var deadline = DateTime.UtcNow + ReadyTimeout;
        foreach (var agent in agents)
            LabProcesses.WaitUntilReady($"the agent of {agent.Node}", $"wrote no subnet.env in {ReadyTimeout.TotalSeconds} s",
                () => File.Exists(SubnetFile(agent.Node)) && File.GetLastWriteTimeUtc(SubnetFile(agent.Node)) >= since,
                () => IsRunning(agent), LogPath(agent.Node), deadline, TimeSpan.FromMilliseconds(20));
    }

    /// <summary>The node's subnet.env as its agent last wrote it; null before it has.</summary>
    public SubnetEnv? Env(string node) => SubnetEnvReader.Read(SubnetFile(node));

    public bool IsRunning(LabAgent agent) => LabProcesses.IsOurs(agent.Pid, argv => IsAgentOf(agent.Node, argv));

    /// <summary>
    /// Stops the agents (SIGTERM: each keeps its lease, as flanneld does; or SIGKILL with <paramref name="kill"/>):
    /// the recorded pid and any other agent process of the same node (one started by a command that was interrupted
    /// before it could record it), so a node never ends up with two.
    /// </summary>
    public void Stop(IEnumerable<LabAgent> agents, bool kill = false)
    {
        var nodes = agents.Select(a => a.Node).ToHashSet();
        var pids = agents.Where(IsRunning).Select(a => a.Pid)
            .Union(LabProcesses.Find(argv => IsAgentOfThisLab(argv) && nodes.Any(node => IsAgentOf(node, argv))));
        LabProcesses.Stop(pids, IsAgentOfThisLab, kill);
    }

    private bool IsAgentOf(string node, string[] argv) =>
        IsAgentOfThisLab(argv) && LabProcesses.OptionValue(argv, "--subnet-file") == SubnetFile(node);

    /// <summary>Stops every agent of this lab, listed or not (an `up` interrupted before it saved a pid).</summary>
    public void StopAll(IEnumerable<LabAgent> agents) =>
        LabProcesses.Stop(agents.Where(IsRunning).Select(a => a.Pid).Union(LabProcesses.Find(IsAgentOfThisLab)), IsAgentOfThisLab);

    /// <summary>
    /// Removes DATA_DIR/nodes, once nothing runs from it any more (agents and containerds stopped). What is still
    /// mounted there is the kubelets' pod volumes (secret and memory emptyDir tmpfs): pods outlive their kubelet by
    /// design, so the lab, which owns the whole directory, unmounts them first. Nothing is deleted through a mount.
    /// </summary>
    public void RemoveFiles()
    {
        if (!System.IO.Directory.Exists(Directory))
            return;
        var failures = new List<string>();
        foreach (var point in Mounts.Under(Directory))
        {
            try
            {
                Mounts.Unmount(point);
            }
            catch (LinuxException e)
            {
                failures.Add(e.Message);
            }
        }
        if (Mounts.Under(Directory) is { Count: > 0 } left)
            throw new LabException($"{Directory} kept: still mounted there: {string.Join(", ", left)} ({string.Join("; ", failures)})");
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    public string LogTail(string node, int lines = 20) => LabProcesses.LogTail(LogPath(node), lines);

    /// <summary>`kybernet agent` (or `dotnet kybernet.dll agent`) with `--subnet-file DATA_DIR/nodes/...`.</summary>
    private bool IsAgentOfThisLab(string[] argv) =>
        Array.IndexOf(argv, "agent") is > 0 and < 3
        && LabProcesses.OptionValue(argv, "--subnet-file") is { } file && file.StartsWith(Directory + "/", StringComparison.Ordinal);
}
