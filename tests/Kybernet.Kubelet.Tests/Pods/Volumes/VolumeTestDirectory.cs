using Kybernet.Kubelet.Pods.Volumes;
using Kybernet.Linux.Files;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Kubelet.Tests.Pods.Volumes;

/// <summary>A kubelet root in a temp dir of the test's own; disposing unmounts anything left and removes it.</summary>
internal sealed class VolumeTestDirectory : IDisposable
{
    public VolumeTestDirectory(FakePodObjects objects)
    {
        Root = Directory.CreateTempSubdirectory("kyt-podspec-").FullName;
        Volumes = new PodVolumes(Root, objects, NullLogger.Instance);
    }

    public string Root { get; }

    public PodVolumes Volumes { get; }

    public void Dispose()
    {
        foreach (string mountPoint in Mounts.Under(Root))
            Mounts.Unmount(mountPoint);
        Directory.Delete(Root, recursive: true);
    }
}
