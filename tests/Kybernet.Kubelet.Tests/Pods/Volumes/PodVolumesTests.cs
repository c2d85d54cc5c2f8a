using System.Net.Sockets;
using k8s.Models;
using Kybernet.Kubelet.Pods;
using Kybernet.Kubelet.Pods.Volumes;
using Kybernet.Linux.Files;

namespace Kybernet.Kubelet.Tests.Pods.Volumes;

/// <summary>Real volumes in a temp kubelet root (tmpfs mounts need root, as the kubelet has).</summary>
public sealed class PodVolumesTests : IDisposable
{
    private readonly FakePodObjects _objects = new FakePodObjects()
        .WithConfigMap("shop", "settings", new() { ["mode"] = "fast", ["level"] = "3" })
        .WithSecret("shop", "creds", new() { ["password"] = "s3cret" });

    private readonly VolumeTestDirectory _root;

    public PodVolumesTests() => _root = new VolumeTestDirectory(_objects);

    public void Dispose() => _root.Dispose();

    private static V1Pod Pod(params V1Volume[] volumes)
    {
        var pod = TestPods.Pod("web", "shop", new V1Container
        {
            Name = "app",
            Resources = new() { Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("500m") } },
        });
        pod.Metadata.Uid = "uid-" + Guid.NewGuid().ToString("N");
        pod.Metadata.Labels = new Dictionary<string, string> { ["app"] = "web" };
        pod.Spec.Volumes = volumes;
        return pod;
    }

    private static string Read(string dir, string path) => File.ReadAllText(Path.Combine(dir, path));

    [Fact]
    public void ConfigMap_volume_with_items_and_modes_lives_under_the_plugin_dir_and_is_read_only()
    {
        var pod = Pod(new V1Volume
        {
            Name = "cfg",
            ConfigMap = new() { Name = "settings", DefaultMode = 0x100, Items = [new() { Key = "mode", Path = "app/mode.conf", Mode = 0x1b6 }, new() { Key = "level", Path = "level" }] },
        });
        var volume = _root.Volumes.SetUp(pod, PodRuntimeFacts.None)["cfg"];

        Assert.Equal(Path.Combine(_root.Root, "pods", pod.Metadata.Uid, "volumes", "kubernetes.io~configmap", "cfg"), volume.HostPath);
        Assert.True(volume.ForcedReadOnly);
        Assert.Equal("fast", Read(volume.HostPath, "app/mode.conf"));
        Assert.Equal("3", Read(volume.HostPath, "level"));
        Assert.Equal((UnixFileMode)0x1b6, File.GetUnixFileMode(Path.Combine(volume.HostPath, "..data/app/mode.conf")));
        Assert.Equal((UnixFileMode)0x100, File.GetUnixFileMode(Path.Combine(volume.HostPath, "..data/level")));
    }

    [Fact]
    public void A_changed_configmap_is_rewritten_by_update_and_an_unchanged_one_is_not()
    {
        var pod = Pod(new V1Volume { Name = "cfg", ConfigMap = new() { Name = "settings" } });
        string dir = _root.Volumes.SetUp(pod, PodRuntimeFacts.None)["cfg"].HostPath;
        Assert.Empty(_root.Volumes.Update(pod, PodRuntimeFacts.None));

        _objects.WithConfigMap("shop", "settings", new() { ["mode"] = "slow" });
        Assert.Equal(["cfg"], _root.Volumes.Update(pod, PodRuntimeFacts.None));
        Assert.Equal("slow", Read(dir, "mode"));
        Assert.False(Path.Exists(Path.Combine(dir, "level")));
    }

    [Fact]
    public void Missing_sources_fail_in_upstreams_words_unless_optional()
    {
        var missing = Pod(new V1Volume { Name = "cfg", ConfigMap = new() { Name = "absent" } });
        Assert.Equal("MountVolume.SetUp failed for volume \"cfg\" : configmap \"absent\" not found",
            Assert.Throws<VolumeSetUpException>(() => _root.Volumes.SetUp(missing, PodRuntimeFacts.None)).Message);

        var badKey = Pod(new V1Volume { Name = "cfg", ConfigMap = new() { Name = "settings", Items = [new() { Key = "nope", Path = "x" }] } });
        Assert.Equal("MountVolume.SetUp failed for volume \"cfg\" : configmap references non-existent config key: nope",
            Assert.Throws<VolumeSetUpException>(() => _root.Volumes.SetUp(badKey, PodRuntimeFacts.None)).Message);

        var optional = Pod(new V1Volume { Name = "cfg", Secret = new() { SecretName = "absent", Optional = true } });
        string dir = _root.Volumes.SetUp(optional, PodRuntimeFacts.None)["cfg"].HostPath;
        Assert.Equal(["..data"], Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).OfType<string>().Where(n => !n.StartsWith("..2", StringComparison.Ordinal)).ToArray());
        _root.Volumes.TearDown(optional.Metadata.Uid);
    }

    [Fact]
    public void Secret_and_memory_emptyDir_are_tmpfs_and_teardown_unmounts_and_removes_everything()
    {
        var pod = Pod(
            new V1Volume { Name = "creds", Secret = new() { SecretName = "creds" } },
            new V1Volume { Name = "scratch", EmptyDir = new() { Medium = "Memory", SizeLimit = new ResourceQuantity("8Mi") } },
            new V1Volume { Name = "disk", EmptyDir = new() });
        var volumes = _root.Volumes.SetUp(pod, PodRuntimeFacts.None);
        _root.Volumes.SetUp(pod, PodRuntimeFacts.None); // again: no second mount

        Assert.Equal("s3cret", Read(volumes["creds"].HostPath, "password"));
        Assert.Equal("tmpfs", Mounts.FilesystemAt(volumes["creds"].HostPath));
        Assert.Equal("tmpfs", Mounts.FilesystemAt(volumes["scratch"].HostPath));
        Assert.Equal(8L * 1024 * 1024, new DriveInfo(volumes["scratch"].HostPath).TotalSize);
        Assert.Equal((UnixFileMode)0x1ff, File.GetUnixFileMode(volumes["scratch"].HostPath));
        Assert.Equal((UnixFileMode)0x1ff, File.GetUnixFileMode(volumes["disk"].HostPath));
        Assert.Null(Mounts.FilesystemAt(volumes["disk"].HostPath));
        string podDir = _root.Volumes.PodDirectory(pod.Metadata.Uid);
        Assert.Equal(2, Mounts.Under(podDir).Count);

        _root.Volumes.TearDown(pod.Metadata.Uid);
        Assert.Empty(Mounts.Under(_root.Root));
        Assert.False(Directory.Exists(podDir));
        _root.Volumes.TearDown(pod.Metadata.Uid); // twice is harmless
    }

    [Fact]
    public void DownwardApi_and_projected_volumes_combine_their_sources()
    {
        var pod = Pod(
            new V1Volume
            {
                Name = "info",
                DownwardAPI = new()
                {
                    Items =
                    [
                        new() { Path = "labels", FieldRef = new() { FieldPath = "metadata.labels" } },
                        new() { Path = "name", FieldRef = new() { FieldPath = "metadata.name" }, Mode = 0x180 },
                        new() { Path = "cpu", ResourceFieldRef = new() { ContainerName = "app", Resource = "limits.cpu", Divisor = new ResourceQuantity("1m") } },
                    ],
                },
            },
            new V1Volume
            {
                Name = "all",
                Projected = new()
                {
                    DefaultMode = 0x124,
                    Sources =
                    [
                        new() { ConfigMap = new() { Name = "settings", Items = [new() { Key = "mode", Path = "mode" }] } },
                        new() { Secret = new() { Name = "creds" } },
                        new() { DownwardAPI = new() { Items = [new() { Path = "ns", FieldRef = new() { FieldPath = "metadata.namespace" } }] } },
                        new() { ServiceAccountToken = new() { Path = "token" } },
                    ],
                },
            });
        var volumes = _root.Volumes.SetUp(pod, PodRuntimeFacts.None);
        string info = volumes["info"].HostPath, all = volumes["all"].HostPath;
        Assert.EndsWith("kubernetes.io~downward-api/info", info, StringComparison.Ordinal);
        Assert.Equal("app=\"web\"", Read(info, "labels"));
        Assert.Equal("web", Read(info, "name"));
        Assert.Equal("500", Read(info, "cpu"));
        Assert.Equal((UnixFileMode)0x180, File.GetUnixFileMode(Path.Combine(info, "..data/name")));
        Assert.Equal("fast", Read(all, "mode"));
        Assert.Equal("s3cret", Read(all, "password"));
        Assert.Equal("shop", Read(all, "ns"));
        Assert.False(Path.Exists(Path.Combine(all, "token")));
        Assert.Equal((UnixFileMode)0x124, File.GetUnixFileMode(Path.Combine(all, "..data/mode")));
    }

    [Fact]
    public void HostPath_types_are_checked_and_the_create_kinds_create()
    {
        string host = Directory.CreateTempSubdirectory("kyt-podspec-host-").FullName;
        try
        {
            string socketPath = Path.Combine(host, "s.sock");
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Bind(new UnixDomainSocketEndPoint(socketPath));
            var pod = Pod(
                new V1Volume { Name = "newdir", HostPath = new() { Path = Path.Combine(host, "made/dir"), Type = "DirectoryOrCreate" } },
                new V1Volume { Name = "newfile", HostPath = new() { Path = Path.Combine(host, "made.txt"), Type = "FileOrCreate" } },
                new V1Volume { Name = "sock", HostPath = new() { Path = socketPath, Type = "Socket" } },
                new V1Volume { Name = "null", HostPath = new() { Path = "/dev/null", Type = "CharDevice" } },
                new V1Volume { Name = "any", HostPath = new() { Path = Path.Combine(host, "whatever") } });
            var volumes = _root.Volumes.SetUp(pod, PodRuntimeFacts.None);
            Assert.True(Directory.Exists(Path.Combine(host, "made/dir")));
            Assert.True(File.Exists(Path.Combine(host, "made.txt")));
            Assert.Equal(socketPath, volumes["sock"].HostPath);
            Assert.False(volumes["any"].ForcedReadOnly);

            void Fails(string type, string path, string message) => Assert.Equal($"MountVolume.SetUp failed for volume \"v\" : {message}",
                Assert.Throws<VolumeSetUpException>(() => _root.Volumes.SetUp(Pod(new V1Volume { Name = "v", HostPath = new() { Path = path, Type = type } }), PodRuntimeFacts.None)).Message);
            Fails("Directory", Path.Combine(host, "made.txt"), $"hostPath type check failed: {host}/made.txt is not a directory");
            Fails("Directory", Path.Combine(host, "absent"), $"hostPath type check failed: {host}/absent is not a directory");
            Fails("File", host, $"hostPath type check failed: {host} is not a file");
            Fails("Socket", Path.Combine(host, "made.txt"), $"hostPath type check failed: {host}/made.txt is not a socket file");
            Fails("BlockDevice", "/dev/null", "hostPath type check failed: /dev/null is not a block device");
            Fails("CharDevice", host, $"hostPath type check failed: {host} is not a character device");
            Fails("Weird", host, "Weird is an invalid volume type");
            Fails("", "/tmp/../etc", "invalid HostPath `/tmp/../etc`: must not contain '..'");
        }
        finally
        {
            Directory.Delete(host, recursive: true);
        }
    }

    [Fact]
    public void Unsupported_volume_kinds_are_refused_by_name()
    {
        var pod = Pod(new V1Volume { Name = "claim", PersistentVolumeClaim = new() { ClaimName = "data" } });
        Assert.StartsWith("MountVolume.SetUp failed for volume \"claim\" : volume type not supported",
            Assert.Throws<VolumeSetUpException>(() => _root.Volumes.SetUp(pod, PodRuntimeFacts.None)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Binary_configmap_data_is_written_as_is()
    {
        _objects.ConfigMaps[("shop", "bin")] = new V1ConfigMap { Metadata = new() { Name = "bin" }, BinaryData = new Dictionary<string, byte[]> { ["blob"] = [0, 1, 2, 255] } };
        var pod = Pod(new V1Volume { Name = "b", ConfigMap = new() { Name = "bin" } });
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, File.ReadAllBytes(Path.Combine(_root.Volumes.SetUp(pod, PodRuntimeFacts.None)["b"].HostPath, "blob")));
    }

    [Fact]
    public void The_hosts_file_is_written_into_the_pod_dir_and_removed_with_it()
    {
        string path = _root.Volumes.WriteEtcHosts("uid-hosts", "# Kubernetes-managed hosts file.\n");
        Assert.Equal(Path.Combine(_root.Root, "pods", "uid-hosts", "etc-hosts"), path);
        Assert.Equal("# Kubernetes-managed hosts file.\n", File.ReadAllText(path));
        Assert.Equal((UnixFileMode)0x1a4, File.GetUnixFileMode(path));
        _root.Volumes.TearDown("uid-hosts");
        Assert.False(Path.Exists(path));
    }

    [Theory]
    [InlineData(null, null, null, null)]
    [InlineData("8Mi", null, null, 8L << 20)]
    [InlineData(null, "1Gi", null, 1L << 30)]
    [InlineData(null, "1Gi", "256Mi", 256L << 20)]
    [InlineData("64Mi", "1Gi", "256Mi", 64L << 20)]
    [InlineData("2Gi", "1Gi", "256Mi", 256L << 20)]
    public void Memory_emptyDir_size_is_the_smallest_of_node_allocatable_pod_limit_and_size_limit(string? sizeLimit, string? allocatable, string? containerLimit, long? expected)
    {
        var pod = Pod();
        if (containerLimit is not null)
            pod.Spec.Containers[0].Resources.Limits["memory"] = new ResourceQuantity(containerLimit);
        var facts = allocatable is null ? PodRuntimeFacts.None
            : new PodRuntimeFacts([], [], new Dictionary<string, ResourceQuantity> { ["memory"] = new(allocatable) });
        Assert.Equal(expected, PodVolumes.MemoryVolumeSize(pod, sizeLimit is null ? null : new ResourceQuantity(sizeLimit), facts));
    }
}
