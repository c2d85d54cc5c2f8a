namespace Kybernet.Kubelet.Runtime;

/// <summary>
/// Where one node's containerd keeps everything and what it runs with. Every path is its own, so several
/// containerd instances (one per lab node) live side by side on one machine without sharing a file.
/// </summary>
public sealed record ContainerdOptions
{
    /// <summary>Persistent data: content store, snapshots (overlay layers), metadata database.</summary>
    public required string Root { get; init; }

    /// <summary>Runtime state: shim bundles, mounted rootfs, pod netns pins, runc's own state.</summary>
    public required string State { get; init; }

    /// <summary>The gRPC unix socket the kubelet talks CRI to.</summary>
    public required string Socket { get; init; }

    /// <summary>The image every pod sandbox runs (our pause image), e.g. "docker.io/kybernet/pause:1.0".</summary>
    public required string SandboxImage { get; init; }

    /// <summary>Where containerd finds the CNI plugins' executables.</summary>
    public required string CniBinDir { get; init; }

    /// <summary>Where containerd reads the node's CNI conflist (the first one, by name).</summary>
    public required string CniConfDir { get; init; }

    /// <summary>
    /// The cgroup (cgroupfs path, e.g. "/kybernet/node-1") the kubelet puts its pods under; the process removes
    /// what is left under it when it stops. Null: nothing is removed.
    /// </summary>
    public string? CgroupParent { get; init; }

    /// <summary>The OCI runtime the runc v2 shim execs: "runc" or "crun" (a name in PATH or a path).</summary>
    public string OciRuntime { get; init; } = "runc";

    /// <summary>containerd's log level: "info", "debug"...</summary>
    public string LogLevel { get; init; } = "info";

    /// <summary>The config file, beside the state (it is rendered fresh on every start).</summary>
    public string ConfigPath => Path.Combine(Root, "config.toml");

    /// <summary>containerd's log file.</summary>
    public string LogPath => Path.Combine(Root, "containerd.log");

    /// <summary>The directory where runc/crun keep their container state (--root), so no instance writes /run/containerd/runc.</summary>
    public string OciRuntimeRoot => Path.Combine(State, "oci-runtime");
}
