using k8s.Models;
using Kybernet.Kubelet.Pods;
using Kybernet.Kubelet.Pods.Volumes;

namespace Kybernet.Kubelet.Tests.Pods.Volumes;

public sealed class ContainerMountsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kyt-podspec-mounts-").FullName;
    private readonly string _outside = Directory.CreateTempSubdirectory("kyt-podspec-outside-").FullName;

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        Directory.Delete(_outside, recursive: true);
    }

    private Dictionary<string, PodVolume> Volumes()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "data"));
        File.SetUnixFileMode(Path.Combine(_dir, "data"), (UnixFileMode)0x1ff);
        Directory.CreateDirectory(Path.Combine(_dir, "cfg"));
        return new()
        {
            ["data"] = new("data", Path.Combine(_dir, "data"), false),
            ["cfg"] = new("cfg", Path.Combine(_dir, "cfg"), true),
        };
    }

    private static IReadOnlyList<ContainerMount> Mounts(IReadOnlyDictionary<string, PodVolume> volumes, params V1VolumeMount[] mounts) =>
        MountsWith(volumes, new Dictionary<string, string> { ["POD_NAME"] = "web-0" }, false, mounts);

    private static IReadOnlyList<ContainerMount> MountsWith(IReadOnlyDictionary<string, PodVolume> volumes, Dictionary<string, string> env, bool privileged, params V1VolumeMount[] mounts)
    {
        var container = new V1Container { Name = "app", VolumeMounts = mounts, SecurityContext = new() { Privileged = privileged } };
        var pod = TestPods.Pod("web-0", "shop", container);
        return ContainerMounts.For(pod, container, volumes, env, "/var/lib/kubelet/pods/u/etc-hosts");
    }

    [Fact]
    public void Mounts_carry_read_only_propagation_and_the_pods_hosts_file()
    {
        var mounts = Mounts(Volumes(),
            new V1VolumeMount { Name = "data", MountPath = "/data" },
            new V1VolumeMount { Name = "data", MountPath = "/ro", ReadOnlyProperty = true, MountPropagation = "HostToContainer" },
            new V1VolumeMount { Name = "cfg", MountPath = "/etc/app" });
        Assert.Equal(
        [
            new("/data", Path.Combine(_dir, "data"), false, MountPropagation.Private),
            new("/ro", Path.Combine(_dir, "data"), true, MountPropagation.HostToContainer),
            new("/etc/app", Path.Combine(_dir, "cfg"), true, MountPropagation.Private), // configMap-like volumes are always read-only
            new("/etc/hosts", "/var/lib/kubelet/pods/u/etc-hosts", false, MountPropagation.Private),
        ], mounts);
    }

    [Fact]
    public void A_container_mounting_its_own_hosts_file_keeps_it()
    {
        var mounts = Mounts(Volumes(), new V1VolumeMount { Name = "cfg", MountPath = "/etc/hosts", SubPath = "hosts" });
        Assert.Single(mounts);
    }

    [Fact]
    public void SubPath_and_subPathExpr_resolve_inside_the_volume_and_create_missing_directories()
    {
        var volumes = Volumes();
        var mounts = Mounts(volumes,
            new V1VolumeMount { Name = "data", MountPath = "/a", SubPath = "logs/app" },
            new V1VolumeMount { Name = "data", MountPath = "/b", SubPathExpr = "pods/$(POD_NAME)" });
        Assert.Equal(Path.Combine(_dir, "data/logs/app"), mounts[0].HostPath);
        Assert.Equal(Path.Combine(_dir, "data/pods/web-0"), mounts[1].HostPath);
        Assert.True(Directory.Exists(mounts[1].HostPath));
        Assert.Equal((UnixFileMode)0x1ff, File.GetUnixFileMode(mounts[1].HostPath)); // the volume's own mode

        // A link that stays inside is followed; one that leaves is refused.
        Directory.CreateSymbolicLink(Path.Combine(_dir, "data/inner"), "logs");
        Assert.Equal(Path.Combine(_dir, "data/logs/app"), Mounts(volumes, new V1VolumeMount { Name = "data", MountPath = "/c", SubPath = "inner/app" })[0].HostPath);
    }

    [Theory]
    [InlineData("../escape", "unable to provision SubPath `../escape`: must not contain '..'")]
    [InlineData("a/../../escape", "unable to provision SubPath `a/../../escape`: must not contain '..'")]
    [InlineData("/etc", "error SubPath `/etc` must not be an absolute path")]
    public void SubPath_escapes_by_name_are_refused(string subPath, string message)
    {
        var error = Assert.Throws<ContainerConfigException>(() => Mounts(Volumes(), new V1VolumeMount { Name = "data", MountPath = "/x", SubPath = subPath }));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void SubPath_escapes_through_symlinks_are_refused_and_nothing_is_created_outside()
    {
        var volumes = Volumes();
        Directory.CreateSymbolicLink(Path.Combine(_dir, "data/out"), _outside);
        Directory.CreateSymbolicLink(Path.Combine(_dir, "data/up"), "../cfg");
        foreach (string subPath in new[] { "out", "out/new", "up/x" })
        {
            var error = Assert.Throws<ContainerConfigException>(() => Mounts(volumes, new V1VolumeMount { Name = "data", MountPath = "/x", SubPath = subPath }));
            Assert.Contains("not within volume path", error.Message, StringComparison.Ordinal);
        }
        Assert.Empty(Directory.EnumerateFileSystemEntries(_outside));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_dir, "cfg")));
    }

    [Fact]
    public void Errors_name_what_is_wrong()
    {
        var volumes = Volumes();
        Assert.Equal("cannot find volume \"nope\" to mount into container \"app\"",
            Assert.Throws<ContainerConfigException>(() => Mounts(volumes, new V1VolumeMount { Name = "nope", MountPath = "/x" })).Message);
        Assert.Equal("missing value for MISSING, OTHER",
            Assert.Throws<ContainerConfigException>(() => Mounts(volumes, new V1VolumeMount { Name = "data", MountPath = "/x", SubPathExpr = "$(OTHER)/$(MISSING)" })).Message);
        Assert.Equal("Bidirectional mount propagation is available only to privileged containers",
            Assert.Throws<ContainerConfigException>(() => Mounts(volumes, new V1VolumeMount { Name = "data", MountPath = "/x", MountPropagation = "Bidirectional" })).Message);
        Assert.Equal(MountPropagation.Bidirectional,
            MountsWith(volumes, [], true, new V1VolumeMount { Name = "data", MountPath = "/x", MountPropagation = "Bidirectional" })[0].Propagation);
    }
}
