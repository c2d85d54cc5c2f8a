using k8s.Models;
using Kybernet.Kubelet.Cri.V1;
using Kybernet.Kubelet.Pods.Dns;

namespace Kybernet.Kubelet.Pods;

/// <summary>Where and how the node runs sandboxes: what every pod's sandbox config shares.</summary>
/// <param name="LogRoot">Where pods' container logs go (the kubelet's /var/log/pods).</param>
/// <param name="CgroupParent">The cgroup (cgroupfs path) every pod's cgroup is made under, e.g. /kybernet/node-1.</param>
public sealed record SandboxSettings(string LogRoot, string CgroupParent);

/// <summary>
/// A pod's sandbox as CRI describes it (upstream's generatePodSandboxConfig): its identity and labels, hostname, log
/// directory, DNS, host port mappings (portmap makes them), and the namespaces it shares with the node.
/// </summary>
public static class SandboxConfigs
{
    public static PodSandboxConfig For(V1Pod pod, uint attempt, SandboxSettings settings, PodDnsSettings dns)
    {
        var meta = pod.Metadata;
        var config = new PodSandboxConfig
        {
            Metadata = new PodSandboxMetadata { Name = meta.Name, Namespace = meta.NamespaceProperty, Uid = meta.Uid, Attempt = attempt },
            Hostname = PodHostname(pod),
            LogDirectory = LogDirectory(settings, pod),
            Linux = new LinuxPodSandboxConfig
            {
                CgroupParent = CgroupOf(settings, pod),
                SecurityContext = new LinuxSandboxSecurityContext { NamespaceOptions = Namespaces(pod) },
            },
        };
        config.Labels.Add(RuntimeLabels.ForPod(meta.NamespaceProperty, meta.Name, meta.Uid));
        foreach (var (key, value) in meta.Annotations ?? new Dictionary<string, string>())
            config.Annotations[key] = value;
        if (dns.Servers.Count > 0 || dns.Searches.Count > 0 || dns.Options.Count > 0)
        {
            var dnsConfig = new DNSConfig();
            dnsConfig.Servers.Add(dns.Servers);
            dnsConfig.Searches.Add(dns.Searches);
            dnsConfig.Options.Add(dns.Options);
            config.DnsConfig = dnsConfig;
        }
        foreach (var container in pod.Spec.Containers)
            foreach (var port in container.Ports ?? [])
                if (port.HostPort is > 0)
                    config.PortMappings.Add(new PortMapping
                    {
                        Protocol = port.Protocol switch { "UDP" => Protocol.Udp, "SCTP" => Protocol.Sctp, _ => Protocol.Tcp },
                        ContainerPort = port.ContainerPort,
                        HostPort = port.HostPort.Value,
                        HostIp = port.HostIP ?? "",
                    });
        foreach (var sysctl in pod.Spec.SecurityContext?.Sysctls ?? [])
            config.Linux.Sysctls[sysctl.Name] = sysctl.Value;
        return config;
    }

    /// <summary>The pod's hostname (<see cref="Hosts.PodHostname"/>: spec.hostname or the name, one DNS label); hostNetwork pods keep the node's (CRI: empty).</summary>
    public static string PodHostname(V1Pod pod) =>
        pod.Spec.HostNetwork == true ? "" : Hosts.PodHostname.Of(pod, clusterDomain: "").Hostname;

    /// <summary>LOG_ROOT/NAMESPACE_NAME_UID, upstream's /var/log/pods layout (`kubectl logs` reads it through the kubelet).</summary>
    public static string LogDirectory(SandboxSettings settings, V1Pod pod) =>
        Path.Combine(settings.LogRoot, $"{pod.Metadata.NamespaceProperty}_{pod.Metadata.Name}_{pod.Metadata.Uid}");

    /// <summary>PARENT/podUID: one cgroup per pod, its containers' under it (cgroupfs driver).</summary>
    public static string CgroupOf(SandboxSettings settings, V1Pod pod) => CgroupOf(settings, pod.Metadata.Uid);

    public static string CgroupOf(SandboxSettings settings, string podUid) => $"{settings.CgroupParent.TrimEnd('/')}/pod{podUid}";

    /// <summary>
    /// hostNetwork is Docker's host mode (the node's network namespace); hostPID and hostIPC likewise; shareProcessNamespace
    /// puts every container in one pid namespace, the sandbox's.
    /// </summary>
    public static NamespaceOption Namespaces(V1Pod pod) => new()
    {
        Network = pod.Spec.HostNetwork == true ? NamespaceMode.Node : NamespaceMode.Pod,
        Pid = pod.Spec.HostPID == true ? NamespaceMode.Node : pod.Spec.ShareProcessNamespace == true ? NamespaceMode.Pod : NamespaceMode.Container,
        Ipc = pod.Spec.HostIPC == true ? NamespaceMode.Node : NamespaceMode.Pod,
    };
}
