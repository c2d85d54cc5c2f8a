using System.Text;
using k8s.Models;

namespace Kybernet.Kubelet.Pods.Hosts;

/// <summary>
/// The /etc/hosts the kubelet writes for a pod (upstream's format): a header, the localhost lines, one line per
/// pod IP with the pod's FQDN (when it has a subdomain) and hostname, then the hostAliases section. A
/// hostNetwork pod gets the node's own hosts file under its own header, with the aliases appended.
/// </summary>
public static class PodHostsFile
{
    public const string ManagedHeader = "# Kubernetes-managed hosts file.\n";
    public const string HostNetworkHeader = "# Kubernetes-managed hosts file (host network).\n";

    /// <summary>The hosts file of a pod in its own network namespace.</summary>
    public static string Managed(IReadOnlyList<string> podIPs, PodHostname name, IList<V1HostAlias>? aliases)
    {
        var text = new StringBuilder(ManagedHeader)
            .Append("127.0.0.1\tlocalhost\n")
            .Append("::1\tlocalhost ip6-localhost ip6-loopback\n")
            .Append("fe00::0\tip6-localnet\n")
            .Append("fe00::0\tip6-mcastprefix\n")
            .Append("fe00::1\tip6-allnodes\n")
            .Append("fe00::2\tip6-allrouters\n");
        foreach (string ip in podIPs)
        {
            if (name.Domain.Length > 0)
                text.Append(ip).Append('\t').Append(name.Fqdn).Append('\t').Append(name.Hostname).Append('\n');
            else
                text.Append(ip).Append('\t').Append(name.Hostname).Append('\n');
        }
        return text.Append(Aliases(aliases)).ToString();
    }

    /// <summary>The hosts file of a hostNetwork pod: the node's, with the pod's aliases.</summary>
    public static string HostNetwork(string nodeHostsFile, IList<V1HostAlias>? aliases) =>
        HostNetworkHeader + nodeHostsFile + Aliases(aliases);

    /// <summary>The file for <paramref name="pod"/>: the node's file (read from <paramref name="nodeHostsPath"/>) for hostNetwork pods.</summary>
    public static string For(V1Pod pod, IReadOnlyList<string> podIPs, string clusterDomain, string nodeHostsPath = "/etc/hosts") =>
        pod.Spec.HostNetwork == true
            ? HostNetwork(File.ReadAllText(nodeHostsPath), pod.Spec.HostAliases)
            : Managed(podIPs, PodHostname.Of(pod, clusterDomain), pod.Spec.HostAliases);

    private static string Aliases(IList<V1HostAlias>? aliases)
    {
        if (aliases is null || aliases.Count == 0)
            return "";
        var text = new StringBuilder("\n# Entries added by HostAliases.\n");
        foreach (var alias in aliases)
            text.Append(alias.Ip).Append('\t').AppendJoin('\t', alias.Hostnames ?? []).Append('\n');
        return text.ToString();
    }
}
