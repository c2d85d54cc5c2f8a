using System.Net;
using Kybernet.Cni;
using Kybernet.Kubelet.Cri;
using Kybernet.Kubelet.Cri.V1;
using Kybernet.Kubelet.Images;
using Kybernet.Kubelet.Pods;
using Kybernet.Kubelet.Pods.Probes;
using Kybernet.Kubelet.Runtime;
using Kybernet.Kubelet.Tests.Images;
using Kybernet.Kubelet.Tests.Runtime;
using Kybernet.Linux.Processes;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Kubelet.Tests.Cri;

/// <summary>
/// A pod end to end through CRI on a real containerd: our pause image as the sandbox, our CNI plugins giving it an
/// address, a busybox container in it, an exec, and a removal that leaves nothing behind. Once with runc, once with crun.
/// </summary>
public sealed class CriPodTests
{
    private const string Subnet = "10.244.7.0/24";

    [Theory]
    [InlineData("runc")]
    [InlineData("crun")]
    public async Task A_pod_with_a_busybox_container_runs_answers_exec_and_leaves_nothing_when_removed(string ociRuntime)
    {
        var work = Directory.CreateTempSubdirectory("kyt-cripod-").FullName;
        try
        {
            var cniBin = Path.Combine(work, "cni-bin");
            var ipamDir = Path.Combine(work, "ipam");
            InstallPlugins(cniBin);
            var (pause, busybox) = BuildImages(Path.Combine(work, "images"));

            var containerd = await TestContainerd.StartAsync(ociRuntime, cniBin, BuiltInImages.Pause);
            ContainerdOptions options = containerd.Options;
            try
            {
                File.WriteAllText(Path.Combine(options.CniConfDir, "10-kybernet.conflist"),
                    DefaultConflist.Build(Subnet, dataDir: ipamDir).ToJsonString());
                var importer = new ImageImporter(NullLogger.Instance);
                await importer.ImportAsync(containerd.Running.Endpoint, pause.Path);
                await importer.ImportAsync(containerd.Running.Endpoint, busybox.Path);

                if (ociRuntime == "crun" && CrunRefusesThisHost())
                {
                    // crun 1.8 refuses every container on a cgroup v1 host whose unified (v2) hierarchy holds a controller
                    // (here hugetlb, which no v1 hierarchy mounts): the pod must fail with crun's own reason, and clean up.
                    var refused = await Assert.ThrowsAsync<CriException>(() => RunPodAsync(containerd.Running.Cri, options, Path.Combine(work, "logs"), ipamDir));
                    Assert.Equal("RunPodSandbox", refused.Operation);
                    Assert.Contains("cgroups in hybrid mode not supported", refused.RuntimeMessage);
                }
                else
                {
                    await RunPodAsync(containerd.Running.Cri, options, Path.Combine(work, "logs"), ipamDir);
                }
            }
            finally
            {
                await containerd.DisposeAsync();
            }

            Assert.Empty(containerd.LoggedErrors);
            Assert.Empty(ProcFs.Find(argv => argv.Any(a => a.Contains(options.Socket, StringComparison.Ordinal) || a == options.ConfigPath)));
            Assert.Empty(MountTable.Under(containerd.Directory_));
            Assert.Empty(new CgroupTree(options.CgroupParent!).Directories());
            Assert.Empty(Reservations(ipamDir));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task Pods_survive_a_containerd_restart_and_a_cleanup_without_CRI_removes_what_they_left()
    {
        var work = Directory.CreateTempSubdirectory("kyt-cripod-").FullName;
        try
        {
            var cniBin = Path.Combine(work, "cni-bin");
            var ipamDir = Path.Combine(work, "ipam");
            InstallPlugins(cniBin);
            var (pause, busybox) = BuildImages(Path.Combine(work, "images"));
            var containerd = await TestContainerd.StartAsync("runc", cniBin, BuiltInImages.Pause);
            ContainerdOptions options = containerd.Options;
            try
            {
                File.WriteAllText(Path.Combine(options.CniConfDir, "10-kybernet.conflist"), DefaultConflist.Build(Subnet, dataDir: ipamDir).ToJsonString());
                var importer = new ImageImporter(NullLogger.Instance);
                await importer.ImportAsync(containerd.Running.Endpoint, pause.Path);
                await importer.ImportAsync(containerd.Running.Endpoint, busybox.Path);
                var (sandbox, container) = await StartPodAsync(containerd.Running.Cri, options, Path.Combine(work, "logs"));
                var shims = ContainerdShims.Find(options.Socket);
                Assert.NotEmpty(shims);

                await containerd.RestartAsync();
                var cri = containerd.Running.Cri;
                Assert.Equal(shims, ContainerdShims.Find(options.Socket)); // the same shims: nothing was restarted
                var pod = Assert.Single((await cri.CallAsync("ListPodSandbox", o => cri.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest(), o))).Items);
                Assert.Equal(sandbox, pod.Id);
                Assert.Equal(PodSandboxState.SandboxReady, pod.State);
                var status = (await cri.CallAsync("ContainerStatus", o => cri.Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = container }, o))).Status;
                Assert.Equal(ContainerState.ContainerRunning, status.State);

                var failures = await containerd.StopAbruptlyAndCleanUpAsync();
                Assert.Empty(failures);
                Assert.All(shims, shim => Assert.False(ProcFs.IsAlive(shim)));
                Assert.Empty(MountTable.Under(containerd.Directory_));
                Assert.Empty(new CgroupTree(options.CgroupParent!).Directories());
            }
            finally
            {
                await containerd.DisposeAsync();
            }
            Assert.Empty(containerd.LoggedErrors);
            Assert.Empty(ProcFs.Find(argv => argv.Any(a => a.Contains(options.Socket, StringComparison.Ordinal) || a == options.ConfigPath)));
            Assert.Empty(MountTable.Under(containerd.Directory_));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>A sandbox and a running `sleep 3600` busybox container in it; their ids.</summary>
    private static async Task<(string Sandbox, string Container)> StartPodAsync(CriConnection cri, ContainerdOptions options, string logs)
    {
        var uid = Guid.NewGuid().ToString();
        var sandboxConfig = new PodSandboxConfig
        {
            Metadata = new PodSandboxMetadata { Name = "survivor", Namespace = "default", Uid = uid },
            Hostname = "survivor",
            LogDirectory = Path.Combine(logs, $"default_survivor_{uid}"),
            Linux = new LinuxPodSandboxConfig { CgroupParent = $"{options.CgroupParent}/pod{uid}" },
        };
        Directory.CreateDirectory(sandboxConfig.LogDirectory);
        var sandbox = (await cri.CallAsync("RunPodSandbox", o => cri.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = sandboxConfig }, o))).PodSandboxId;
        var container = (await cri.CallAsync("CreateContainer", o => cri.Runtime.CreateContainerAsync(new CreateContainerRequest
        {
            PodSandboxId = sandbox,
            SandboxConfig = sandboxConfig,
            Config = new ContainerConfig
            {
                Metadata = new ContainerMetadata { Name = "sleeper" },
                Image = new ImageSpec { Image = BuiltInImages.Busybox },
                Command = { "sleep", "3600" },
                LogPath = "sleeper/0.log",
            },
        }, o))).ContainerId;
        await cri.CallAsync("StartContainer", o => cri.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = container }, o));
        return (sandbox, container);
    }

    private static async Task RunPodAsync(CriConnection cri, ContainerdOptions options, string logs, string ipamDir)
    {
        var uid = Guid.NewGuid().ToString();
        var sandboxConfig = new PodSandboxConfig
        {
            Metadata = new PodSandboxMetadata { Name = "web", Namespace = "default", Uid = uid },
            Hostname = "web",
            LogDirectory = Path.Combine(logs, $"default_web_{uid}"),
            DnsConfig = new DNSConfig { Servers = { "10.96.0.10" }, Searches = { "default.svc.cluster.local" }, Options = { "ndots:5" } },
            Labels = { ["io.kubernetes.pod.name"] = "web" },
            Linux = new LinuxPodSandboxConfig
            {
                CgroupParent = $"{options.CgroupParent}/pod{uid}",
                SecurityContext = new LinuxSandboxSecurityContext
                {
                    NamespaceOptions = new NamespaceOption { Network = NamespaceMode.Pod, Pid = NamespaceMode.Container, Ipc = NamespaceMode.Pod },
                },
            },
        };
        Directory.CreateDirectory(sandboxConfig.LogDirectory);
        var sandbox = (await cri.CallAsync("RunPodSandbox", o => cri.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = sandboxConfig }, o))).PodSandboxId;

        var status = (await cri.CallAsync("PodSandboxStatus", o => cri.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = sandbox }, o))).Status;
        Assert.Equal(PodSandboxState.SandboxReady, status.State);
        Assert.True(InSubnet(IPAddress.Parse(status.Network.Ip)), $"pod IP {status.Network.Ip} is not in {Subnet}");
        Assert.Single(Reservations(ipamDir));

        var container = (await cri.CallAsync("CreateContainer", o => cri.Runtime.CreateContainerAsync(new CreateContainerRequest
        {
            PodSandboxId = sandbox,
            SandboxConfig = sandboxConfig,
            Config = new ContainerConfig
            {
                Metadata = new ContainerMetadata { Name = "sleeper" },
                Image = new ImageSpec { Image = BuiltInImages.Busybox },
                Command = { "sleep", "3600" },
                LogPath = "sleeper/0.log",
                Linux = new LinuxContainerConfig { Resources = new LinuxContainerResources { MemoryLimitInBytes = 64 << 20, CpuShares = 256 } },
            },
        }, o))).ContainerId;
        await cri.CallAsync("StartContainer", o => cri.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = container }, o));

        var running = (await cri.CallAsync("ContainerStatus", o => cri.Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = container }, o))).Status;
        Assert.Equal(ContainerState.ContainerRunning, running.State);
        Assert.True(running.StartedAt > 0);
        Assert.StartsWith("sha256:", running.ImageRef);

        var exec = await cri.CallAsync("ExecSync", o => cri.Runtime.ExecSyncAsync(new ExecSyncRequest { ContainerId = container, Cmd = { "echo", "hi" }, Timeout = 10 }, o));
        Assert.Equal(0, exec.ExitCode);
        Assert.Equal("hi\n", exec.Stdout.ToStringUtf8());
        // The container shares the sandbox's network namespace: it sees the pod's address.
        var addresses = await cri.CallAsync("ExecSync", o => cri.Runtime.ExecSyncAsync(new ExecSyncRequest { ContainerId = container, Cmd = { "ip", "-4", "addr", "show", "eth0" }, Timeout = 10 }, o));
        Assert.Contains(status.Network.Ip + "/", addresses.Stdout.ToStringUtf8());
        // What an exec probe runs: the kubelet's CriExec, given the container's id in API form, as probes hold it.
        var probe = await new CriExec(new CriRuntime(cri)).ExecAsync(RuntimeInstances.ApiId("containerd", container), ["cat", "/etc/hostname"], TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.Equal(new ExecResult(0, "web\n"), probe);

        await cri.CallAsync("StopContainer", o => cri.Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = container, Timeout = 1 }, o));
        var exited = (await cri.CallAsync("ContainerStatus", o => cri.Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = container }, o))).Status;
        Assert.Equal(ContainerState.ContainerExited, exited.State);
        Assert.Contains(exited.ExitCode, new[] { 128 + 15, 128 + 9 }); // SIGTERM, or SIGKILL after the timeout
        await cri.CallAsync("RemoveContainer", o => cri.Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = container }, o));
        await cri.CallAsync("StopPodSandbox", o => cri.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = sandbox }, o));
        await cri.CallAsync("RemovePodSandbox", o => cri.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = sandbox }, o));

        Assert.Empty((await cri.CallAsync("ListContainers", o => cri.Runtime.ListContainersAsync(new ListContainersRequest(), o))).Containers);
        Assert.Empty((await cri.CallAsync("ListPodSandbox", o => cri.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest(), o))).Items);
        Assert.Empty(Reservations(ipamDir));
        Assert.Empty(ContainerdShims.Find(options.Socket));
        var gone = await Assert.ThrowsAsync<CriException>(() =>
            cri.CallAsync("ContainerStatus", o => cri.Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = container }, o)));
        Assert.True(gone.IsNotFound, gone.Message);
    }

    /// <summary>A cgroup v1 host ("hybrid") whose cgroup2 mount at /sys/fs/cgroup/unified has controllers: crun will not run there.</summary>
    private static bool CrunRefusesThisHost() =>
        File.Exists("/sys/fs/cgroup/unified/cgroup.controllers") && File.ReadAllText("/sys/fs/cgroup/unified/cgroup.controllers").Trim().Length > 0;

    /// <summary>Our plugins, "loopback" among them (containerd 1.6 sets up every sandbox's lo itself with that plugin name).</summary>
    private static void InstallPlugins(string cniBin) => CniInstaller.Install(TestBinaries.Native, cniBin);

    private static (OciArchive Pause, OciArchive Busybox) BuildImages(string cache)
    {
        var builder = new ImageBuilder(cache, NullLogger.Instance);
        var inputs = new ImageInputs(TestBinaries.Native, "/nonexistent/agnhost");
        return (builder.Build(BuiltInImages.PauseImage(inputs)), builder.Build(BuiltInImages.BusyboxImage(inputs)));
    }

    /// <summary>host-local's reservations: one file per address under dataDir/NETWORK/ (its lock and last-reserved files aside).</summary>
    private static IReadOnlyList<string> Reservations(string ipamDir) =>
        Directory.Exists(ipamDir)
            ? Directory.EnumerateFiles(ipamDir, "*", SearchOption.AllDirectories).Where(f => IPAddress.TryParse(Path.GetFileName(f), out _)).ToList()
            : [];

    private static bool InSubnet(IPAddress address) => IPNetwork.Parse(Subnet).Contains(address);
}
