using System.Text;

namespace Kybernet.Kubelet.Runtime;

/// <summary>
/// Renders a containerd 1.6 config.toml (version 2) for one node: its own root, state and socket; no TCP
/// listener of its own (no gRPC TCP address, no metrics, no debug socket); the CRI plugin with our sandbox image,
/// the overlayfs snapshotter, pod netns pins under the state dir, and our CNI directories; the runc v2 shim running
/// runc or crun with cgroupfs. Plugins that cannot work here (other snapshotters, tracing)
/// are disabled so the log holds only what matters.
/// </summary>
public static class ContainerdConfig
{
    /// <summary>Plugins disabled: snapshotters without their filesystem or tools here, and ones we never use.</summary>
    public static readonly IReadOnlyList<string> DisabledPlugins =
    [
        "io.containerd.snapshotter.v1.aufs",
        "io.containerd.snapshotter.v1.btrfs",
        "io.containerd.snapshotter.v1.zfs",
        "io.containerd.snapshotter.v1.devmapper",
        // (io.containerd.runtime.v1.linux stays: 1.6's tasks service, and so the CRI plugin, fail to load without it.)
        "io.containerd.internal.v1.tracing",
        "io.containerd.tracing.processor.v1.otlp",
    ];

    public static string Render(ContainerdOptions o)
    {
        var s = new StringBuilder();
        s.AppendLine("# Rendered by Kybernet for one node's containerd; rewritten on every start.");
        s.AppendLine("version = 2");
        s.AppendLine($"root = {Quote(o.Root)}");
        s.AppendLine($"state = {Quote(o.State)}");
        s.AppendLine($"temp = {Quote(Path.Combine(o.Root, "tmp"))}");
        s.AppendLine($"disabled_plugins = [{string.Join(", ", DisabledPlugins.Select(Quote))}]");
        s.AppendLine();
        s.AppendLine("[grpc]");
        s.AppendLine($"  address = {Quote(o.Socket)}");
        s.AppendLine("  tcp_address = \"\"");
        s.AppendLine();
        // ttrpc and debug sockets would default to paths under /run/containerd shared by every instance.
        s.AppendLine("[ttrpc]");
        s.AppendLine($"  address = {Quote(o.Socket + ".ttrpc")}");
        s.AppendLine();
        s.AppendLine("[debug]");
        s.AppendLine("  address = \"\"");
        s.AppendLine($"  level = {Quote(o.LogLevel)}");
        s.AppendLine();
        s.AppendLine("[metrics]");
        s.AppendLine("  address = \"\"");
        s.AppendLine();
        s.AppendLine("[plugins]");
        s.AppendLine("  [plugins.\"io.containerd.internal.v1.opt\"]");
        s.AppendLine($"    path = {Quote(Path.Combine(o.Root, "opt"))}");
        s.AppendLine();
        s.AppendLine("  [plugins.\"io.containerd.grpc.v1.cri\"]");
        s.AppendLine($"    sandbox_image = {Quote(o.SandboxImage)}");
        // Pins of the pods' network namespaces go under our state dir, not the shared /var/run/netns.
        s.AppendLine("    netns_mounts_under_state_dir = true");
        // The streaming server (exec, attach, port-forward) listens inside the node's namespace only.
        s.AppendLine("    disable_tcp_service = true");
        s.AppendLine("    stream_server_address = \"127.0.0.1\"");
        s.AppendLine("    stream_server_port = \"0\"");
        s.AppendLine("    enable_selinux = false");
        s.AppendLine("    disable_apparmor = true");
        // No hugetlb controller is mounted on the hosts we run on (cgroup v1 hybrid).
        s.AppendLine("    disable_hugetlb_controller = true");
        s.AppendLine("    tolerate_missing_hugetlb_controller = true");
        s.AppendLine("    systemd_cgroup = false");
        // CRI lowers the sandbox's oom_score_adj (-998) below containerd's own, which needs CAP_SYS_RESOURCE; hosts
        // (and containers we run in) without it fail every sandbox ("write to /proc/self/oom_score_adj: Permission
        // denied"). Restricted, a value below containerd's is raised to containerd's instead.
        s.AppendLine("    restrict_oom_score_adj = true");
        s.AppendLine();
        s.AppendLine("    [plugins.\"io.containerd.grpc.v1.cri\".cni]");
        s.AppendLine($"      bin_dir = {Quote(o.CniBinDir)}");
        s.AppendLine($"      conf_dir = {Quote(o.CniConfDir)}");
        s.AppendLine("      max_conf_num = 1");
        s.AppendLine();
        s.AppendLine("    [plugins.\"io.containerd.grpc.v1.cri\".containerd]");
        s.AppendLine("      snapshotter = \"overlayfs\"");
        s.AppendLine("      default_runtime_name = \"runc\"");
        s.AppendLine();
        s.AppendLine("      [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]");
        s.AppendLine("        runtime_type = \"io.containerd.runc.v2\"");
        s.AppendLine();
        s.AppendLine("        [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]");
        s.AppendLine($"          BinaryName = {Quote(o.OciRuntime)}");
        s.AppendLine($"          Root = {Quote(o.OciRuntimeRoot)}");
        s.AppendLine("          SystemdCgroup = false");
        return s.ToString();
    }

    /// <summary>A TOML basic string.</summary>
    private static string Quote(string value)
    {
        var s = new StringBuilder("\"");
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': s.Append("\\\""); break;
                case '\\': s.Append("\\\\"); break;
                case < ' ': s.Append($"\\u{(int)c:X4}"); break;
                default: s.Append(c); break;
            }
        }
        return s.Append('"').ToString();
    }
}
