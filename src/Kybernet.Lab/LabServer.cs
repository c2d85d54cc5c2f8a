using System.Globalization;

namespace Kybernet.Lab;

/// <summary>
/// `kybernet server` inside the control-plane machine, on cp's underlay address, port 6443, storing in the
/// lab's etcd (the same binary as on real machines with etcd as the distributed store). Its data and log are
/// in DATA_DIR/server/; it writes DATA_DIR/server/admin.kubeconfig once it answers. Known, as every lab
/// process, by pid and command line (`server --data-dir DATA_DIR/server`).
/// </summary>
public sealed class LabServer(string dataDirectory)
{
    public const int Port = 6443;
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    public string Directory { get; } = Path.Combine(dataDirectory, "server");

    public string KubeconfigPath => Path.Combine(Directory, "admin.kubeconfig");

    public string LogPath => Path.Combine(Directory, "server.log");

    public string Url(LabTopology topology) => $"https://{topology.ControlPlane.Address.Address}:{Port}";

    /// <summary>Starts the server and waits (bounded) until it has written its kubeconfig, which it does once it answers.</summary>
    public int Start(LabTopology topology, LabPrograms programs)
    {
        System.IO.Directory.CreateDirectory(Directory);
        File.Delete(KubeconfigPath);
        var argv = programs.Kybernet.Concat(
        [
            "server",
            "--data-dir", Directory,
            "--listen", $"{topology.ControlPlane.Address.Address}:{Port}",
            "--store", "etcd://" + string.Join(',', topology.Etcd.Select(m => $"{m.Address}:{m.ClientPort}")),
            "--cluster-cidr", topology.PodNetwork.ToString(),
            "--node-cidr-mask-size", "24",
        ]).ToList();
        int pid = LabProcesses.Start(topology.ControlPlane, argv, LogPath, IsServerOfThisLab);
        LabProcesses.WaitUntilReady("kybernet server", $"wrote no kubeconfig in {ReadyTimeout.TotalSeconds} s", () => File.Exists(KubeconfigPath),
            () => IsRunning(pid), LogPath, DateTime.UtcNow + ReadyTimeout, TimeSpan.FromMilliseconds(50));
        return pid;
    }

    public bool IsRunning(int pid) => LabProcesses.IsOurs(pid, IsServerOfThisLab);

    /// <summary>Stops the server (the recorded pid and any other of this lab's) and removes DATA_DIR/server.</summary>
    public void Stop(int pid)
    {
        LabProcesses.Stop(LabProcesses.Find(IsServerOfThisLab).Append(pid).Distinct(), IsServerOfThisLab);
        if (System.IO.Directory.Exists(Directory))
            System.IO.Directory.Delete(Directory, recursive: true);
    }

    /// <summary>
    /// Registers the lab's nodes as Node objects, as each node's kubelet will: applied with the real kubectl, run in
    /// the control plane (the host cannot reach the underlay). The server's node IPAM controller gives each a podCIDR.
    /// </summary>
    public void RegisterNodes(LabTopology topology)
    {
        var nodes = string.Join("\n---\n", topology.Nodes.Select(n => string.Create(CultureInfo.InvariantCulture, $$"""
            apiVersion: v1
            kind: Node
            metadata:
              name: {{n.Name}}
              labels:
                kubernetes.io/hostname: {{n.Name}}
                kybernet.io/lab: {{topology.Name}}
            status:
              addresses:
              - type: InternalIP
                address: {{n.Address.Address}}
            """)));
        Kubectl(topology, nodes, "apply", "-f", "-");
    }

    /// <summary>Runs kubectl in the control plane with the admin kubeconfig; returns its output.</summary>
    public string Kubectl(LabTopology topology, string? stdin, params string[] args)
    {
        try
        {
            return LabProcesses.Run(topology.ControlPlane, "/usr/bin/kubectl", args,
                new Dictionary<string, string> { ["KUBECONFIG"] = KubeconfigPath, ["HOME"] = Directory }, stdin);
        }
        catch (LabException e) when (e.Message.Contains("gave no answer", StringComparison.Ordinal))
        {
            throw new LabException($"{e.Message}; the server's log:\n{LabProcesses.LogTail(LogPath)}", e);
        }
    }

    private bool IsServerOfThisLab(string[] argv) =>
        Array.IndexOf(argv, "server") is > 0 and < 3 && LabProcesses.OptionValue(argv, "--data-dir") == Directory;
}
