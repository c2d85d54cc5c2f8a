using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Kybernet.Kubelet.Pods.Dns;

/// <summary>
/// A pod's DNS settings as upstream's kubelet computes them (dns.go): ClusterFirst uses the cluster DNS servers,
/// the search list NS.svc.DOMAIN svc.DOMAIN DOMAIN then the host's, and ndots:5; a hostNetwork pod with
/// ClusterFirst, and Default, use the host's resolv.conf; None starts empty; dnsConfig is merged on top; then
/// upstream's limits (3 nameservers, 32 search domains, 2048 characters of search line) are applied.
/// </summary>
public sealed class PodDnsPolicy(ClusterDnsOptions options, ILogger logger)
{
    public const int MaxNameservers = 3, MaxSearchPaths = 32, MaxSearchLineChars = 2048, MaxDomainLength = 253;

    /// <summary>The settings for <paramref name="pod"/>; <paramref name="warnings"/> receives upstream's DNSConfigForming event texts.</summary>
    public PodDnsSettings For(V1Pod pod, List<string>? warnings = null)
    {
        var host = options.HostResolvConf;
        List<string> servers = [.. host.Servers], searches = [.. host.Searches], dnsOptions = [.. host.Options];
        switch (Kind(pod))
        {
            case Resolution.None:
                servers = []; searches = []; dnsOptions = [];
                break;
            case Resolution.Cluster when options.ClusterDnsServers.Count > 0:
                servers = [.. options.ClusterDnsServers];
                searches = ClusterSearches(pod.Metadata.NamespaceProperty ?? "default", searches);
                dnsOptions = ["ndots:5"];
                break;
            case Resolution.Cluster:
                Warn(warnings, $"kubelet does not have ClusterDNS IP configured and cannot create Pod using \"ClusterFirst\" policy. Falling back to \"Default\" policy.");
                HostDefaults(servers, searches);
                break;
            default:
                HostDefaults(servers, searches);
                break;
        }
        if (pod.Spec.DnsConfig is { } extra)
        {
            servers = Distinct(servers.Concat(extra.Nameservers ?? []));
            searches = Distinct(searches.Concat(extra.Searches ?? []));
            dnsOptions = MergeOptions(dnsOptions, (extra.Options ?? []).Where(o => !string.IsNullOrEmpty(o.Name)).Select(o => (o.Name, (string?)o.Value)));
        }
        return new(FitNameservers(servers, warnings), FitSearches(searches, warnings), dnsOptions);
    }

    private enum Resolution { Cluster, Host, None }

    private static Resolution Kind(V1Pod pod) => pod.Spec.DnsPolicy switch
    {
        "None" => Resolution.None,
        "ClusterFirstWithHostNet" => Resolution.Cluster,
        "Default" => Resolution.Host,
        _ => pod.Spec.HostNetwork == true ? Resolution.Host : Resolution.Cluster, // ClusterFirst, the default
    };

    private void HostDefaults(List<string> servers, List<string> searches)
    {
        // With no host resolv.conf configured, upstream points the pod at the local machine and searches nothing.
        if (options.HostResolvConfConfigured)
            return;
        servers.Clear();
        servers.Add("127.0.0.1");
        searches.Clear();
        searches.Add(".");
    }

    private List<string> ClusterSearches(string ns, IEnumerable<string> hostSearches)
    {
        string domain = options.ClusterDomain;
        if (string.IsNullOrEmpty(domain))
            return [.. hostSearches];
        return Distinct(new[] { $"{ns}.svc.{domain}", $"svc.{domain}", domain }.Concat(hostSearches));
    }

    private List<string> FitNameservers(List<string> servers, List<string>? warnings)
    {
        if (servers.Count <= MaxNameservers)
            return servers;
        servers = servers.Take(MaxNameservers).ToList();
        Warn(warnings, $"Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: {string.Join(" ", servers)}");
        return servers;
    }

    private List<string> FitSearches(List<string> searches, List<string>? warnings)
    {
        bool exceeded = false;
        if (searches.Count > MaxSearchPaths)
        {
            searches = searches.Take(MaxSearchPaths).ToList();
            exceeded = true;
        }
        // Some resolvers (glibc 2.28) abort on a search domain longer than a DNS name may be.
        int before = searches.Count;
        searches = searches.Where(s => s.Length <= MaxDomainLength).ToList();
        exceeded |= searches.Count != before;
        int lineLength = string.Join(" ", searches).Length;
        if (lineLength > MaxSearchLineChars)
        {
            int cut = 0, cutLength = 0;
            for (int i = searches.Count - 1; i >= 0; i--)
            {
                cutLength += searches[i].Length + 1;
                cut++;
                if (lineLength - cutLength <= MaxSearchLineChars)
                    break;
            }
            searches = searches.Take(searches.Count - cut).ToList();
            exceeded = true;
        }
        if (exceeded)
            Warn(warnings, $"Search Line limits were exceeded, some search paths have been omitted, the applied search line is: {string.Join(" ", searches)}");
        return searches;
    }

    private void Warn(List<string>? warnings, string message)
    {
        logger.LogWarning("DNSConfigForming: {Message}", message);
        warnings?.Add(message);
    }

    private static List<string> Distinct(IEnumerable<string> items) => items.Distinct(StringComparer.Ordinal).ToList();

    /// <summary>Options keyed by name (before ':'), later ones replacing earlier ones in place.</summary>
    internal static List<string> MergeOptions(IEnumerable<string> existing, IEnumerable<(string Name, string? Value)> added)
    {
        var merged = new List<(string Name, string? Value)>();
        void Put(string name, string? value)
        {
            int at = merged.FindIndex(o => o.Name == name);
            if (at >= 0)
                merged[at] = (name, value);
            else
                merged.Add((name, value));
        }
        foreach (string option in existing)
        {
            int colon = option.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
                Put(option, null);
            else
                Put(option[..colon], option[(colon + 1)..]);
        }
        foreach (var (name, value) in added)
            Put(name, value);
        return merged.Select(o => string.IsNullOrEmpty(o.Value) ? o.Name : $"{o.Name}:{o.Value}").ToList();
    }
}
