using k8s.Models;
using Kybernet.Kubelet.Pods.Env;

namespace Kybernet.Kubelet.Pods.Volumes;

/// <summary>
/// A container's mounts from its volumeMounts (upstream's makeMounts): the volume's host path, or its subPath
/// (subPathExpr expanded against the container's environment) inside it; read-only when asked or when the
/// volume kind always is; propagation; and the pod's /etc/hosts unless the container mounts its own.
/// </summary>
public static class ContainerMounts
{
    public const string EtcHosts = "/etc/hosts";

    public static IReadOnlyList<ContainerMount> For(
        V1Pod pod,
        V1Container container,
        IReadOnlyDictionary<string, PodVolume> volumes,
        IReadOnlyDictionary<string, string> environment,
        string? etcHostsPath)
    {
        var mounts = new List<ContainerMount>();
        foreach (var mount in container.VolumeMounts ?? [])
        {
            if (!volumes.TryGetValue(mount.Name, out var volume))
                throw new ContainerConfigException($"cannot find volume \"{mount.Name}\" to mount into container \"{container.Name}\"");
            string subPath = mount.SubPath ?? "";
            if (!string.IsNullOrEmpty(mount.SubPathExpr))
                subPath = ExpandSubPath(mount.SubPathExpr, environment);
            string hostPath = subPath.Length > 0 ? SubPaths.Resolve(volume.HostPath, subPath) : volume.HostPath;
            var propagation = Propagation(mount, container);
            mounts.Add(new(mount.MountPath, hostPath, mount.ReadOnlyProperty == true || volume.ForcedReadOnly, propagation));
        }
        if (etcHostsPath is not null && !mounts.Any(m => m.ContainerPath == EtcHosts))
            mounts.Add(new(EtcHosts, etcHostsPath, false, MountPropagation.Private));
        return mounts;
    }

    private static string ExpandSubPath(string expression, IReadOnlyDictionary<string, string> environment)
    {
        var missing = new SortedSet<string>(StringComparer.Ordinal);
        string expanded = VariableExpansion.Expand(expression, name =>
        {
            if (!environment.TryGetValue(name, out string? value) || value.Length == 0)
                missing.Add(name);
            return value ?? "";
        });
        if (missing.Count > 0)
            throw new ContainerConfigException($"missing value for {string.Join(", ", missing)}");
        return expanded;
    }

    private static MountPropagation Propagation(V1VolumeMount mount, V1Container container) => mount.MountPropagation switch
    {
        null or "" or "None" => MountPropagation.Private,
        "HostToContainer" => MountPropagation.HostToContainer,
        "Bidirectional" when container.SecurityContext?.Privileged == true => MountPropagation.Bidirectional,
        "Bidirectional" => throw new ContainerConfigException("Bidirectional mount propagation is available only to privileged containers"),
        var other => throw new ContainerConfigException($"invalid MountPropagation mode: {other}"),
    };
}
