using k8s.Models;
using Kybernet.Kubelet.Pods.Dns;
using Kybernet.Kubelet.Pods.Env;
using Kybernet.Kubelet.Pods.Hosts;
using Kybernet.Kubelet.Pods.Volumes;

namespace Kybernet.Kubelet.Pods;

/// <summary>
/// What a pod's containers see, prepared on the node before they start: its volumes and /etc/hosts under the pod's
/// directory, each container's environment and mounts, and the pod's DNS settings (which CRI gives the sandbox).
/// </summary>
public sealed class PodSetup(PodVolumes volumes, ContainerEnvironment environment, PodDnsPolicy dns, string clusterDomain,
    IReadOnlyList<string> hostIps, Func<IDictionary<string, ResourceQuantity>?> nodeAllocatable)
{
    public PodRuntimeFacts Facts(string? podIp) => new(hostIps, podIp is null ? hostIps.Take(1).ToList() : [podIp], nodeAllocatable());

    /// <summary>Volumes (set up again harmlessly; changed ConfigMaps and Secrets rewritten) and the pod's /etc/hosts.</summary>
    /// <exception cref="VolumeSetUpException">A volume cannot be set up (its source is missing and not optional...).</exception>
    public IReadOnlyDictionary<string, PodVolume> SetUp(V1Pod pod, string? podIp)
    {
        var set = volumes.SetUp(pod, Facts(podIp));
        var hosts = PodHostsFile.For(pod, podIp is null ? hostIps : [podIp], clusterDomain);
        var path = volumes.EtcHostsPath(pod.Metadata.Uid);
        if (!File.Exists(path) || File.ReadAllText(path) != hosts)
            volumes.WriteEtcHosts(pod.Metadata.Uid, hosts);
        return set;
    }

    /// <exception cref="ContainerConfigException">A source the environment needs is missing.</exception>
    public IReadOnlyList<ContainerEnvVar> Environment(V1Pod pod, V1Container container, string? podIp) =>
        environment.Build(pod, container, Facts(podIp)).Variables;

    /// <exception cref="ContainerConfigException">A volumeMount names no volume, or its subPath cannot be used.</exception>
    public IReadOnlyList<ContainerMount> Mounts(V1Pod pod, V1Container container, IReadOnlyDictionary<string, PodVolume> set, IReadOnlyList<ContainerEnvVar> env) =>
        ContainerMounts.For(pod, container, set, env.GroupBy(v => v.Name).ToDictionary(g => g.Key, g => g.Last().Value), volumes.EtcHostsPath(pod.Metadata.Uid));

    /// <summary>Rewrites the configMap, secret, downwardAPI and projected volumes whose source changed (a running pod sees updates).</summary>
    public void Refresh(V1Pod pod, string? podIp)
    {
        if (Directory.Exists(volumes.PodDirectory(pod.Metadata.Uid)))
            volumes.Update(pod, Facts(podIp));
    }

    public PodDnsSettings Dns(V1Pod pod) => dns.For(pod);

    public void TearDown(string podUid) => volumes.TearDown(podUid);
}
