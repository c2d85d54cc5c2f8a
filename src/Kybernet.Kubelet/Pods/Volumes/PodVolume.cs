namespace Kybernet.Kubelet.Pods.Volumes;

/// <summary>
/// A set-up volume of a pod: where it is on the host, and whether every mount of it is read-only whatever the
/// container asks (configMap, secret, downwardAPI and projected volumes are, as upstream mounts them).
/// </summary>
public sealed record PodVolume(string Name, string HostPath, bool ForcedReadOnly);
