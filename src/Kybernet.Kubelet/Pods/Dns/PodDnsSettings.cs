using System.Text;

namespace Kybernet.Kubelet.Pods.Dns;

/// <summary>A pod's resolver configuration (CRI's DNSConfig), and the resolv.conf the runtime writes from it.</summary>
public sealed record PodDnsSettings(IReadOnlyList<string> Servers, IReadOnlyList<string> Searches, IReadOnlyList<string> Options)
{
    public static readonly PodDnsSettings Empty = new([], [], []);

    /// <summary>resolv.conf text in the runtime's layout: search, then one nameserver line each, then options.</summary>
    public string ToResolvConf()
    {
        var text = new StringBuilder();
        if (Searches.Count > 0)
            text.Append("search ").AppendJoin(' ', Searches).Append('\n');
        foreach (string server in Servers)
            text.Append("nameserver ").Append(server).Append('\n');
        if (Options.Count > 0)
            text.Append("options ").AppendJoin(' ', Options).Append('\n');
        return text.ToString();
    }
}
