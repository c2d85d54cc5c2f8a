using System.Text.RegularExpressions;
using k8s.Models;

namespace Kybernet.Kubelet.Pods.Hosts;

/// <summary>
/// A pod's hostname and domain as upstream's kubelet derives them: spec.hostname or the pod's name (cut to 63
/// characters, without a trailing '-' or '.'), and with spec.subdomain the domain SUBDOMAIN.NS.svc.CLUSTERDOMAIN.
/// </summary>
public sealed partial record PodHostname(string Hostname, string Domain)
{
    private const int MaxLabelLength = 63;

    /// <summary>The fully qualified name when the pod has a domain, else the hostname.</summary>
    public string Fqdn => Domain.Length > 0 ? $"{Hostname}.{Domain}" : Hostname;

    public static PodHostname Of(V1Pod pod, string clusterDomain)
    {
        string hostname = pod.Metadata.Name ?? "";
        if (!string.IsNullOrEmpty(pod.Spec.Hostname))
        {
            if (!IsLabel(pod.Spec.Hostname))
                throw new ContainerConfigException($"pod Hostname \"{pod.Spec.Hostname}\" is not a valid DNS label");
            hostname = pod.Spec.Hostname;
        }
        if (hostname.Length > MaxLabelLength)
            hostname = hostname[..MaxLabelLength].TrimEnd('-', '.');
        string domain = "";
        if (!string.IsNullOrEmpty(pod.Spec.Subdomain))
        {
            if (!IsLabel(pod.Spec.Subdomain))
                throw new ContainerConfigException($"pod Subdomain \"{pod.Spec.Subdomain}\" is not a valid DNS label");
            domain = $"{pod.Spec.Subdomain}.{pod.Metadata.NamespaceProperty}.svc.{clusterDomain}";
        }
        return new(hostname, domain);
    }

    private static bool IsLabel(string value) => value.Length <= MaxLabelLength && Label().IsMatch(value);

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Label();
}
