namespace Kybernet.Kubelet.Pods.Volumes;

/// <summary>A volume could not be set up; the message is upstream's FailedMount event text.</summary>
public sealed class VolumeSetUpException(string volumeName, string reason, Exception? inner = null)
    : Exception($"MountVolume.SetUp failed for volume \"{volumeName}\" : {reason}", inner)
{
    public string VolumeName { get; } = volumeName;

    public string Reason { get; } = reason;
}
