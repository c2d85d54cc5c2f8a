using Kybernet.Kubelet.Cri.V1;
using Kybernet.Kubelet.Runtime;
using Kybernet.Linux.Processes;

namespace Kybernet.Kubelet.Tests.Runtime;

public sealed class ContainerdProcessTests
{
    [Fact]
    public async Task Starts_in_its_namespace_answers_CRI_and_leaves_nothing_when_stopped()
    {
        var containerd = await TestContainerd.StartAsync();
        ContainerdOptions options = containerd.Options;
        int pid = containerd.Running.Pid;
        try
        {
            var version = containerd.Running.Version;
            Assert.Equal("containerd", version.RuntimeName);
            Assert.StartsWith("1.6.", version.RuntimeVersion.TrimStart('v'));
            Assert.Equal("v1", version.RuntimeApiVersion);

            // It runs inside the test's namespace, not ours.
            Assert.NotEqual(ProcFs.NetworkNamespaceOf(Environment.ProcessId), ProcFs.NetworkNamespaceOf(pid));
            Assert.Contains(pid, ProcFs.InNetworkNamespaces([containerd.NetworkNamespaceName]));

            var status = await containerd.Running.Cri.StatusAsync();
            var runtimeReady = Assert.Single(status.Status.Conditions, c => c.Type == "RuntimeReady");
            Assert.True(runtimeReady.Status, $"{runtimeReady.Reason}: {runtimeReady.Message}");

            var cri = containerd.Running.Cri;
            var fs = await cri.CallAsync("ImageFsInfo", o => cri.Images.ImageFsInfoAsync(new ImageFsInfoRequest(), o));
            var imageFs = Assert.Single(fs.ImageFilesystems);
            Assert.StartsWith(options.Root, imageFs.FsId.Mountpoint);

            var images = await cri.CallAsync("ListImages", o => cri.Images.ListImagesAsync(new ListImagesRequest(), o));
            Assert.Empty(images.Images);
        }
        finally
        {
            await containerd.DisposeAsync();
        }

        Assert.Empty(containerd.LoggedErrors);
        Assert.False(ProcFs.IsAlive(pid));
        Assert.Empty(ProcFs.Find(argv => argv.Any(a => a.Contains(options.Socket, StringComparison.Ordinal) || a == options.ConfigPath)));
        Assert.Empty(MountTable.Under(containerd.Directory_));
        Assert.False(Directory.Exists(options.State));
        Assert.False(File.Exists(options.Socket));
    }

    [Fact]
    public async Task A_second_start_with_the_same_config_is_refused_naming_the_running_pid()
    {
        await using var containerd = await TestContainerd.StartAsync();
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            ContainerdProcess.StartAsync(containerd.Options, containerd.NetworkNamespaceName, containerd.Log));
        Assert.Contains($"pid {containerd.Running.Pid}", e.Message);
    }

    [Fact]
    public void Config_names_our_dirs_and_socket_and_the_chosen_oci_runtime()
    {
        var options = new ContainerdOptions
        {
            Root = "/data/n1/root",
            State = "/data/n1/state",
            Socket = "/data/n1/containerd.sock",
            SandboxImage = "docker.io/kybernet/pause:1.0",
            CniBinDir = "/opt/kybernet/cni",
            CniConfDir = "/data/n1/cni",
            OciRuntime = "crun",
        };
        var toml = ContainerdConfig.Render(options);
        Assert.Contains("version = 2\n", toml);
        Assert.Contains("root = \"/data/n1/root\"", toml);
        Assert.Contains("state = \"/data/n1/state\"", toml);
        Assert.Contains("address = \"/data/n1/containerd.sock\"", toml);
        Assert.Contains("tcp_address = \"\"", toml);
        Assert.Contains("sandbox_image = \"docker.io/kybernet/pause:1.0\"", toml);
        Assert.Contains("netns_mounts_under_state_dir = true", toml);
        Assert.Contains("bin_dir = \"/opt/kybernet/cni\"", toml);
        Assert.Contains("conf_dir = \"/data/n1/cni\"", toml);
        Assert.Contains("max_conf_num = 1", toml);
        Assert.Contains("snapshotter = \"overlayfs\"", toml);
        Assert.Contains("runtime_type = \"io.containerd.runc.v2\"", toml);
        Assert.Contains("BinaryName = \"crun\"", toml);
        Assert.Contains("Root = \"/data/n1/state/oci-runtime\"", toml);
        Assert.Contains("SystemdCgroup = false", toml);
        Assert.Contains("restrict_oom_score_adj = true", toml);
        Assert.Contains("io.containerd.snapshotter.v1.devmapper", toml);
    }
}
