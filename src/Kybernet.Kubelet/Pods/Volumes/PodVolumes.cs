using k8s.Models;
using Kybernet.Linux;
using Kybernet.Linux.Files;
using Microsoft.Extensions.Logging;

namespace Kybernet.Kubelet.Pods.Volumes;

/// <summary>
/// A node's pod volumes under ROOT/pods/UID/volumes/PLUGIN/NAME, upstream's layout and plugin names: emptyDir (a
/// directory, or a size-limited tmpfs for medium Memory), hostPath (type-checked, used in place), and configMap,
/// secret, downwardAPI and projected (written by <see cref="AtomicWriter"/>; secret and projected on tmpfs so
/// their content never reaches the disk, as upstream). Setting up is idempotent; <see cref="Update"/> rewrites
/// the projected kinds only when their content changed; <see cref="TearDown"/> unmounts and removes the pod dir.
/// </summary>
public sealed class PodVolumes(string root, IPodObjectSource source, ILogger logger)
{
    public const string EmptyDirPlugin = "kubernetes.io~empty-dir", ConfigMapPlugin = "kubernetes.io~configmap",
        SecretPlugin = "kubernetes.io~secret", DownwardApiPlugin = "kubernetes.io~downward-api", ProjectedPlugin = "kubernetes.io~projected";

    private const UnixFileMode EmptyDirMode = (UnixFileMode)0x1ff; // 0777: any container user may write

    private readonly ProjectedPayloads _payloads = new(source);

    public string Root { get; } = root;

    public string PodDirectory(string podUid)
    {
        if (string.IsNullOrEmpty(podUid) || podUid.Contains('/') || podUid.StartsWith('.'))
            throw new ArgumentException($"invalid pod UID \"{podUid}\"");
        return Path.Combine(Root, "pods", podUid);
    }

    /// <summary>Where the kubelet keeps the pod's /etc/hosts (upstream's etc-hosts in the pod dir).</summary>
    public string EtcHostsPath(string podUid) => Path.Combine(PodDirectory(podUid), "etc-hosts");

    /// <summary>
    /// Writes the pod's hosts file (temp file + rename, 0644), so a container that mounts it sees the old or the new
    /// content; returns its path for <see cref="ContainerMounts"/>.
    /// </summary>
    public string WriteEtcHosts(string podUid, string content)
    {
        string path = EtcHostsPath(podUid);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temp = path + ".tmp";
        File.WriteAllText(temp, content);
        File.SetUnixFileMode(temp, (UnixFileMode)0x1a4);
        PathRename.Replace(temp, path);
        return path;
    }

    public string VolumeDirectory(string podUid, string plugin, string volumeName) =>
        Path.Combine(PodDirectory(podUid), "volumes", plugin, volumeName);

    /// <summary>Sets up every volume of <paramref name="pod"/> (again, harmlessly); a failure names the volume.</summary>
    public IReadOnlyDictionary<string, PodVolume> SetUp(V1Pod pod, PodRuntimeFacts facts)
    {
        var volumes = new Dictionary<string, PodVolume>(StringComparer.Ordinal);
        foreach (var volume in pod.Spec.Volumes ?? [])
        {
            try
            {
                volumes[volume.Name] = SetUpOne(pod, volume, facts, out _);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or LinuxException or ArgumentException)
            {
                var failure = new VolumeSetUpException(volume.Name, e.Message, e);
                logger.LogError(e, "Pod {Namespace}/{Pod}: {Failure}", pod.Metadata.NamespaceProperty, pod.Metadata.Name, failure.Message);
                throw failure;
            }
            catch (VolumeSetUpException e)
            {
                logger.LogError("Pod {Namespace}/{Pod}: {Failure}", pod.Metadata.NamespaceProperty, pod.Metadata.Name, e.Message);
                throw;
            }
        }
        return volumes;
    }

    /// <summary>Rewrites the configMap, secret, downwardAPI and projected volumes whose content changed; returns their names.</summary>
    public IReadOnlyList<string> Update(V1Pod pod, PodRuntimeFacts facts)
    {
        var changed = new List<string>();
        foreach (var volume in pod.Spec.Volumes ?? [])
        {
            if (volume.ConfigMap is null && volume.Secret is null && volume.DownwardAPI is null && volume.Projected is null)
                continue;
            SetUpOne(pod, volume, facts, out bool written);
            if (written)
            {
                logger.LogInformation("Pod {Namespace}/{Pod}: volume {Volume} updated", pod.Metadata.NamespaceProperty, pod.Metadata.Name, volume.Name);
                changed.Add(volume.Name);
            }
        }
        return changed;
    }

    /// <summary>Unmounts whatever is mounted in the pod's directory and removes it; nothing is removed while a mount remains.</summary>
    public void TearDown(string podUid)
    {
        string directory = PodDirectory(podUid);
        if (!Directory.Exists(directory))
            return;
        foreach (string mountPoint in Mounts.Under(directory))
        {
            try
            {
                Mounts.Unmount(mountPoint);
            }
            catch (LinuxException e)
            {
                logger.LogError(e, "Pod {Uid}: could not unmount {MountPoint}", podUid, mountPoint);
            }
        }
        // A recursive delete through a mount that is still there would delete what it shows (a bind of host data).
        var remaining = Mounts.Under(directory);
        if (remaining.Count > 0)
            throw new IOException($"tear down pod {podUid}: {string.Join(", ", remaining)} still mounted; {directory} kept");
        Directory.Delete(directory, recursive: true);
    }

    private PodVolume SetUpOne(V1Pod pod, V1Volume volume, PodRuntimeFacts facts, out bool written)
    {
        written = false;
        string uid = pod.Metadata.Uid;
        if (volume.EmptyDir is { } emptyDir)
        {
            string directory = VolumeDirectory(uid, EmptyDirPlugin, volume.Name);
            CreateDirectory(directory, EmptyDirMode);
            switch (emptyDir.Medium ?? "")
            {
                case "":
                    break;
                case "Memory":
                    EnsureTmpfs(directory, MemoryVolumeSize(pod, emptyDir.SizeLimit, facts));
                    File.SetUnixFileMode(directory, EmptyDirMode); // the mount's root, not the directory under it
                    break;
                default:
                    throw new VolumeSetUpException(volume.Name, $"unsupported emptyDir medium {emptyDir.Medium}");
            }
            return new(volume.Name, directory, false);
        }
        if (volume.HostPath is { } hostPath)
        {
            HostPathCheck.Check(hostPath.Path, hostPath.Type);
            return new(volume.Name, hostPath.Path, false);
        }

        string plugin = volume.ConfigMap is not null ? ConfigMapPlugin
            : volume.Secret is not null ? SecretPlugin
            : volume.DownwardAPI is not null ? DownwardApiPlugin
            : volume.Projected is not null ? ProjectedPlugin
            : throw new VolumeSetUpException(volume.Name, "volume type not supported by this kubelet (emptyDir, hostPath, configMap, secret, downwardAPI and projected are)");
        foreach (var skipped in volume.Projected?.Sources?.Where(s => s.ServiceAccountToken is not null || s.ClusterTrustBundle is not null) ?? [])
            logger.LogInformation("Pod {Namespace}/{Pod}: volume {Volume}: serviceAccountToken and clusterTrustBundle sources are not projected by this kubelet (no TokenRequest); skipped",
                pod.Metadata.NamespaceProperty, pod.Metadata.Name, volume.Name);

        var payload = _payloads.For(volume, pod, facts)!;
        string target = VolumeDirectory(uid, plugin, volume.Name);
        CreateDirectory(target, (UnixFileMode)0x1ed);
        if (plugin is SecretPlugin or ProjectedPlugin)
            EnsureTmpfs(target, null);
        written = new AtomicWriter(target, logger).Write(payload);
        return new(volume.Name, target, true);
    }

    private static void CreateDirectory(string directory, UnixFileMode mode)
    {
        if (Directory.Exists(directory))
            return;
        Directory.CreateDirectory(directory);
        File.SetUnixFileMode(directory, mode); // explicit: the process umask would take bits away
    }

    private void EnsureTmpfs(string directory, long? sizeBytes)
    {
        if (Mounts.FilesystemAt(directory) == "tmpfs")
            return;
        Mounts.MountTmpfs(directory, sizeBytes);
        logger.LogDebug("Mounted tmpfs on {Directory} (size {Size})", directory, sizeBytes?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "default");
    }

    /// <summary>
    /// A memory-backed emptyDir's tmpfs size, as upstream sizes it: the node's allocatable memory, or the pod's
    /// memory limit when every container has one, or the volume's sizeLimit when smaller still; tmpfs pages count
    /// against the pod's memory cgroup anyway, the size only stops one volume taking all of it.
    /// </summary>
    internal static long? MemoryVolumeSize(V1Pod pod, ResourceQuantity? sizeLimit, PodRuntimeFacts facts)
    {
        long? size = Memory(facts.NodeAllocatable);
        var containers = pod.Spec.Containers ?? [];
        var limits = containers.Select(c => Memory(c.Resources?.Limits)).ToList();
        if (limits.Count > 0 && limits.All(l => l is not null))
        {
            long podLimit = limits.Sum(l => l!.Value);
            foreach (var init in pod.Spec.InitContainers ?? [])
                podLimit = Math.Max(podLimit, Memory(init.Resources?.Limits) ?? 0);
            size = size is null ? podLimit : Math.Min(size.Value, podLimit);
        }
        if (Bytes(sizeLimit) is { } volumeLimit && (size is null || volumeLimit < size))
            size = volumeLimit;
        return size;
    }

    private static long? Memory(IDictionary<string, ResourceQuantity>? list) =>
        list is not null && list.TryGetValue("memory", out var quantity) ? Bytes(quantity) : null;

    private static long? Bytes(ResourceQuantity? quantity)
    {
        if (quantity is null)
            return null;
        long bytes = (long)Math.Ceiling(quantity.ToDecimal());
        return bytes > 0 ? bytes : null;
    }
}
