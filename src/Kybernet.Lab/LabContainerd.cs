using Kybernet.Kubelet.Cri;
using Kybernet.Kubelet.Images;
using Kybernet.Kubelet.Runtime;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Lab;

/// <summary>
/// One containerd per node of a kube-mode lab, as in kind: started inside the node's namespace (the net namespace only:
/// `ip netns exec` would hide the cgroups runc needs), with its own root, state, socket, cgroup parent and CNI
/// directories under DATA_DIR/nodes/NODE/containerd, and the built-in images (pause, busybox, agnhost) imported. The
/// node's kubelet talks CRI to its socket; containerd runs our CNI plugins from DATA_DIR/cni/bin with the conflist the
/// kubelet writes. A containerd process is the lab's only if it is alive and its --config is this node's.
/// </summary>
public sealed class LabContainerd(string dataDirectory, LabAgents agents)
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    public string Directory(string node) => Path.Combine(agents.NodeDirectory(node), "containerd");

    /// <summary>Where the node's kubelet writes the conflist containerd reads.</summary>
    public string CniConfDirectory(string node) => Path.Combine(agents.NodeDirectory(node), "cni-conf");

    /// <summary>The cgroup every pod of the node is made under (cgroupfs): one tree per lab and node.</summary>
    public static string CgroupParent(LabTopology topology, string node) => $"{LabCgroup(topology)}/{node}";

    /// <summary>The lab's own cgroup, the parent of its nodes': made by the first containerd, removed by `down`.</summary>
    public static string LabCgroup(LabTopology topology) => $"/kybernet-{topology.Name}";

    /// <summary>Removes the lab's cgroup once every node's containerd has removed its own tree; what could not go, with why.</summary>
    public static IReadOnlyList<string> RemoveLabCgroup(LabTopology topology) => new CgroupTree(LabCgroup(topology)).Remove();

    public ContainerdOptions Options(LabTopology topology, string node) => new()
    {
        Root = Path.Combine(Directory(node), "root"),
        State = Path.Combine(Directory(node), "state"),
        Socket = Path.Combine(Directory(node), "containerd.sock"),
        SandboxImage = BuiltInImages.Pause,
        CniBinDir = new LabPods(dataDirectory, agents).PluginDirectory,
        CniConfDir = CniConfDirectory(node),
        CgroupParent = CgroupParent(topology, node),
    };

    public string Endpoint(LabTopology topology, string node) => "unix://" + Options(topology, node).Socket;

    /// <summary>Starts the node's containerd; returns its pid once its command line is containerd's.</summary>
    public int Start(LabTopology topology, string node)
    {
        var options = Options(topology, node);
        System.IO.Directory.CreateDirectory(options.Root);
        System.IO.Directory.CreateDirectory(options.State);
        System.IO.Directory.CreateDirectory(options.CniConfDir);
        File.WriteAllText(options.ConfigPath, ContainerdConfig.Render(options));
        return LabProcesses.Start(topology.Machine(node), ["containerd", "--config", options.ConfigPath], options.LogPath, ContainerdProcess.IsContainerdOf(options));
    }

    /// <summary>
    /// Restarts only the daemon (SIGTERM to its pid): its shims keep the pods' containers running, and the containerd
    /// started again finds them in its state. Returns the new pid once it answers CRI.
    /// </summary>
    public int Restart(LabTopology topology, string node, int pid)
    {
        var isOurs = ContainerdProcess.IsContainerdOf(Options(topology, node));
        LabProcesses.Stop(LabProcesses.Find(isOurs).Append(pid).Where(p => p > 0).Distinct(), isOurs);
        var started = Start(topology, node);
        WaitReadyAndImport(topology, node, started, []);
        return started;
    }

    /// <summary>Waits (bounded) until the node's containerd answers CRI Version, then imports the built-in images into it.</summary>
    public void WaitReadyAndImport(LabTopology topology, string node, int pid, IReadOnlyList<OciArchive> images)
    {
        var options = Options(topology, node);
        var deadline = DateTime.UtcNow + ReadyTimeout;
        using (var cri = new CriConnection(Endpoint(topology, node), TimeSpan.FromSeconds(2)))
            LabProcesses.WaitUntilReady($"containerd of {node}", $"did not answer CRI on {options.Socket} in {ReadyTimeout.TotalSeconds} s",
                () => Answers(cri), () => IsRunning(topology, node, pid), options.LogPath, deadline, TimeSpan.FromMilliseconds(100));
        var importer = new ImageImporter(NullLogger.Instance);
        foreach (var image in images)
            importer.ImportAsync(Endpoint(topology, node), image.Path).GetAwaiter().GetResult();
    }

    private static bool Answers(CriConnection cri)
    {
        try
        {
            cri.VersionAsync().GetAwaiter().GetResult();
            return true;
        }
        catch (CriException)
        {
            return false;
        }
    }

    public bool IsRunning(LabTopology topology, string node, int pid) => LabProcesses.IsOurs(pid, ContainerdProcess.IsContainerdOf(Options(topology, node)));

    /// <summary>
    /// Stops the node's containerd (the recorded pid and any other containerd of this node's config), then removes
    /// what it leaves: shims and their containers, mounts, cgroups (<see cref="ContainerdProcess.CleanUp"/>).
    /// </summary>
    public void Stop(LabTopology topology, string node, int pid)
    {
        var options = Options(topology, node);
        var isOurs = ContainerdProcess.IsContainerdOf(options);
        LabProcesses.Stop(LabProcesses.Find(isOurs).Append(pid).Where(p => p > 0).Distinct(), isOurs);
        var left = ContainerdProcess.CleanUp(options, NullLogger.Instance);
        if (left.Count > 0)
            throw new LabException($"containerd of {node} left behind: {string.Join("; ", left)}");
    }

    /// <summary>DATA_DIR/images: the built-in images' archives, built at `up`, removed at `down`.</summary>
    public string ImageDirectory => Path.Combine(dataDirectory, "images");

    /// <summary>Builds the built-in images once per lab from the binaries beside the lab's programs.</summary>
    public IReadOnlyList<OciArchive> BuildImages(LabPrograms programs)
    {
        var inputs = new ImageInputs(programs.NativeBinary, programs.AgnhostBinary);
        var builder = new ImageBuilder(ImageDirectory, NullLogger.Instance);
        return [.. BuiltInImages.All.Select(define => builder.Build(define(inputs)))];
    }

    public void RemoveImages()
    {
        if (System.IO.Directory.Exists(ImageDirectory))
            System.IO.Directory.Delete(ImageDirectory, recursive: true);
    }
}
