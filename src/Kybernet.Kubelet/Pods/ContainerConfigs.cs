using System.Globalization;
using k8s.Models;
using Kybernet.Kubelet.Cri.V1;
using Kybernet.Kubelet.Pods.Env;
using ContainerMount = Kybernet.Kubelet.Pods.Volumes.ContainerMount;
using CriPropagation = Kybernet.Kubelet.Cri.V1.MountPropagation;

namespace Kybernet.Kubelet.Pods;

/// <summary>
/// A container as CRI describes it (upstream's generateContainerConfig): identity, image, command and args, working
/// directory, environment, mounts, log path, terminal, and its Linux resources and security context.
/// </summary>
public static class ContainerConfigs
{
    public static ContainerConfig For(V1Pod pod, V1Container container, bool init, uint attempt, string imageRef,
        IEnumerable<ContainerEnvVar> environment, IEnumerable<ContainerMount> mounts)
    {
        var config = new ContainerConfig
        {
            Metadata = new ContainerMetadata { Name = container.Name, Attempt = attempt },
            Image = new ImageSpec { Image = imageRef },
            WorkingDir = container.WorkingDir ?? "",
            LogPath = LogPath(container.Name, attempt),
            Stdin = container.Stdin == true,
            StdinOnce = container.StdinOnce == true,
            Tty = container.Tty == true,
            Linux = new LinuxContainerConfig
            {
                Resources = Resources(container.Resources),
                SecurityContext = Security(pod, container),
            },
        };
        // Kubernetes' command is the image's entrypoint and its args the image's cmd; the runtime merges them with the image's.
        config.Command.Add(container.Command ?? []);
        config.Args.Add(container.Args ?? []);
        foreach (var variable in environment)
            config.Envs.Add(new KeyValue { Key = variable.Name, Value = variable.Value });
        foreach (var mount in mounts)
            config.Mounts.Add(new Mount
            {
                ContainerPath = mount.ContainerPath,
                HostPath = mount.HostPath,
                Readonly = mount.ReadOnly,
                Propagation = mount.Propagation switch
                {
                    Volumes.MountPropagation.HostToContainer => CriPropagation.PropagationHostToContainer,
                    Volumes.MountPropagation.Bidirectional => CriPropagation.PropagationBidirectional,
                    _ => CriPropagation.PropagationPrivate,
                },
            });
        config.Labels.Add(RuntimeLabels.ForPod(pod.Metadata.NamespaceProperty, pod.Metadata.Name, pod.Metadata.Uid));
        config.Labels[RuntimeLabels.ContainerName] = container.Name;
        config.Annotations[RuntimeLabels.RestartCount] = attempt.ToString(CultureInfo.InvariantCulture);
        config.Annotations[RuntimeLabels.ContainerHash] = ContainerHash.Of(container);
        config.Annotations[RuntimeLabels.TerminationGracePeriod] = (pod.Spec.TerminationGracePeriodSeconds ?? 30).ToString(CultureInfo.InvariantCulture);
        if (init)
            config.Annotations[RuntimeLabels.InitContainer] = "true";
        return config;
    }

    /// <summary>NAME/ATTEMPT.log under the pod's log directory, upstream's layout (so `--previous` is the attempt before).</summary>
    public static string LogPath(string container, uint attempt) => $"{container}/{attempt}.log";

    /// <summary>
    /// Requests and limits as cgroup v1 knobs, upstream's conversion: cpu shares from the request (1024 per core, at
    /// least 2), a CFS quota from the limit over a 100 ms period, the memory limit in bytes.
    /// </summary>
    public static LinuxContainerResources Resources(V1ResourceRequirements? resources)
    {
        const long period = 100_000;
        var result = new LinuxContainerResources { CpuShares = 2 };
        if (Quantity(resources?.Requests, "cpu") is { } cpuRequest)
            result.CpuShares = Math.Max(2, (long)(cpuRequest * 1024));
        else if (Quantity(resources?.Limits, "cpu") is { } cpuLimitAsRequest)
            result.CpuShares = Math.Max(2, (long)(cpuLimitAsRequest * 1024)); // a limit alone is the request too
        if (Quantity(resources?.Limits, "cpu") is { } cpuLimit)
        {
            result.CpuPeriod = period;
            result.CpuQuota = Math.Max(1000, (long)(cpuLimit * period));
        }
        if (Quantity(resources?.Limits, "memory") is { } memory)
            result.MemoryLimitInBytes = (long)memory;
        return result;
    }

    private static decimal? Quantity(IDictionary<string, ResourceQuantity>? list, string name) =>
        list is not null && list.TryGetValue(name, out var q) ? q.ToDecimal() : null;

    /// <summary>securityContext (the container's over the pod's): user and group, privileged, capabilities, read-only root, no_new_privs.</summary>
    public static LinuxContainerSecurityContext Security(V1Pod pod, V1Container container)
    {
        var c = container.SecurityContext;
        var p = pod.Spec.SecurityContext;
        var security = new LinuxContainerSecurityContext
        {
            Privileged = c?.Privileged == true,
            ReadonlyRootfs = c?.ReadOnlyRootFilesystem == true,
            NoNewPrivs = c?.AllowPrivilegeEscalation == false,
            NamespaceOptions = SandboxConfigs.Namespaces(pod),
        };
        if ((c?.RunAsUser ?? p?.RunAsUser) is { } user)
            security.RunAsUser = new Int64Value { Value = user };
        if ((c?.RunAsGroup ?? p?.RunAsGroup) is { } group)
            security.RunAsGroup = new Int64Value { Value = group };
        foreach (var g in p?.SupplementalGroups ?? [])
            if (g is { } supplemental)
                security.SupplementalGroups.Add(supplemental);
        if (c?.Capabilities is { } caps)
        {
            security.Capabilities = new Capability();
            security.Capabilities.AddCapabilities.Add((caps.Add ?? []).Select(CapabilityName));
            security.Capabilities.DropCapabilities.Add((caps.Drop ?? []).Select(CapabilityName));
        }
        return security;
    }

    /// <summary>Kubernetes writes NET_ADMIN; the runtime wants CAP_NET_ADMIN (containerd adds the prefix itself, but ALL stays ALL).</summary>
    private static string CapabilityName(string name) => name.ToUpperInvariant();
}
