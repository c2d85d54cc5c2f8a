using k8s.Models;

namespace Kybernet.Kubelet.Pods.Probes;

/// <summary>
/// Where an httpGet action (a probe's or a lifecycle hook's) sends its GET, as upstream resolves it: the scheme
/// (http by default), the host (the pod's IP unless the action names one), the port by number or by the
/// container's port name, and the action's headers.
/// </summary>
public sealed record HttpGetTarget(string Url, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    /// <summary>The target, or null with why it cannot be reached (an unknown port name, no pod IP yet).</summary>
    public static HttpGetTarget? Resolve(V1HTTPGetAction get, V1Container container, string? podIp, out string error)
    {
        if (!ContainerPorts.TryResolve(get.Port, container, out var port, out error))
            return null;
        var host = string.IsNullOrEmpty(get.Host) ? podIp : get.Host;
        if (string.IsNullOrEmpty(host))
        {
            error = "the pod has no IP yet";
            return null;
        }
        var url = HttpProber.FormatUrl(string.IsNullOrEmpty(get.Scheme) ? "http" : get.Scheme, host, port, get.Path);
        return new HttpGetTarget(url, [.. (get.HttpHeaders ?? []).Select(h => KeyValuePair.Create(h.Name, h.Value ?? ""))]);
    }
}
