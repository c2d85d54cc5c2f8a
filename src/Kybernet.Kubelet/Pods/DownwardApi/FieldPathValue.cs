using System.Text;
using System.Text.RegularExpressions;
using k8s.Models;

namespace Kybernet.Kubelet.Pods.DownwardApi;

/// <summary>
/// The value of a pod field named by a downward API fieldRef: metadata.name, namespace, uid, labels and
/// annotations (whole, or one key as labels['k']), and for environment variables also spec.nodeName,
/// spec.serviceAccountName, status.hostIP(s) and status.podIP(s). Errors carry upstream's wording.
/// </summary>
public static partial class FieldPathValue
{
    private static readonly HashSet<string> Supported =
    [
        "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid",
        "spec.nodeName", "spec.restartPolicy", "spec.serviceAccountName", "spec.schedulerName",
        "status.phase", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs",
    ];

    /// <summary>An environment variable's fieldRef: every field the API accepts for env.</summary>
    public static string ForEnv(V1ObjectFieldSelector selector, V1Pod pod, PodRuntimeFacts facts)
    {
        string path = CheckedPath(selector);
        return path switch
        {
            "spec.nodeName" => pod.Spec.NodeName ?? "",
            "spec.serviceAccountName" => pod.Spec.ServiceAccountName ?? "",
            "spec.restartPolicy" => pod.Spec.RestartPolicy ?? "",
            "spec.schedulerName" => pod.Spec.SchedulerName ?? "",
            "status.phase" => pod.Status?.Phase ?? "",
            "status.hostIP" => facts.HostIPs.Count > 0 ? facts.HostIPs[0] : "",
            "status.hostIPs" => string.Join(",", facts.HostIPs),
            "status.podIP" => facts.PodIPs.Count > 0 ? facts.PodIPs[0] : "",
            "status.podIPs" => string.Join(",", facts.PodIPs),
            _ => Metadata(pod, path),
        };
    }

    /// <summary>A downwardAPI volume item's fieldRef: metadata only, as upstream's volume plugin reads it.</summary>
    public static string ForVolume(V1ObjectFieldSelector selector, V1Pod pod) => Metadata(pod, CheckedPath(selector));

    private static string CheckedPath(V1ObjectFieldSelector selector)
    {
        if (!string.IsNullOrEmpty(selector.ApiVersion) && selector.ApiVersion != "v1")
            throw new ContainerConfigException($"unsupported pod version: {selector.ApiVersion}");
        string path = selector.FieldPath ?? "";
        string bare = SplitSubscript(path) is { } split ? split.Path : path;
        if (!Supported.Contains(bare))
            throw new ContainerConfigException($"field label not supported: {path}");
        return path;
    }

    /// <summary>upstream's ExtractFieldPathAsString over the pod's metadata.</summary>
    private static string Metadata(V1Pod pod, string path)
    {
        var meta = pod.Metadata;
        if (SplitSubscript(path) is { } split)
        {
            var map = split.Path switch
            {
                "metadata.annotations" => meta.Annotations,
                "metadata.labels" => meta.Labels,
                _ => throw new ContainerConfigException($"fieldPath \"{path}\" does not support subscript"),
            };
            string key = split.Path == "metadata.annotations" ? split.Key.ToLowerInvariant() : split.Key;
            if (!QualifiedName().IsMatch(key) || key.Length > 316)
                throw new ContainerConfigException($"invalid key subscript in {path}: {split.Key} is not a qualified name");
            return map is not null && map.TryGetValue(split.Key, out string? value) ? value : "";
        }
        return path switch
        {
            "metadata.annotations" => FormatMap(meta.Annotations),
            "metadata.labels" => FormatMap(meta.Labels),
            "metadata.name" => meta.Name ?? "",
            "metadata.namespace" => meta.NamespaceProperty ?? "",
            "metadata.uid" => meta.Uid ?? "",
            _ => throw new ContainerConfigException($"unsupported fieldPath: {path}"),
        };
    }

    /// <summary>"metadata.labels['app']" -> ("metadata.labels", "app").</summary>
    private static (string Path, string Key)? SplitSubscript(string path)
    {
        if (!path.EndsWith("']", StringComparison.Ordinal))
            return null;
        string trimmed = path[..^2];
        int open = trimmed.IndexOf("['", StringComparison.Ordinal);
        if (open <= 0)
            return null;
        return (trimmed[..open], trimmed[(open + 2)..]);
    }

    /// <summary>A whole label or annotation map as the downward API writes it: sorted key="quoted value" lines.</summary>
    public static string FormatMap(IDictionary<string, string>? map)
    {
        if (map is null || map.Count == 0)
            return "";
        var text = new StringBuilder();
        foreach (var (key, value) in map.OrderBy(p => p.Key, StringComparer.Ordinal))
            text.Append(key).Append('=').Append(GoQuote(value)).Append('\n');
        return text.ToString(0, text.Length - 1);
    }

    /// <summary>Go's %q of a string: double quotes, backslash escapes, \u for non-printable characters.</summary>
    internal static string GoQuote(string value)
    {
        var text = new StringBuilder(value.Length + 2).Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\n': text.Append("\\n"); break;
                case '\t': text.Append("\\t"); break;
                case '\r': text.Append("\\r"); break;
                case '\a': text.Append("\\a"); break;
                case '\b': text.Append("\\b"); break;
                case '\f': text.Append("\\f"); break;
                case '\v': text.Append("\\v"); break;
                default:
                    if (char.IsControl(c))
                        text.Append(c < 0x80 ? $"\\x{(int)c:x2}" : $"\\u{(int)c:x4}");
                    else
                        text.Append(c);
                    break;
            }
        }
        return text.Append('"').ToString();
    }

    // A qualified name: an optional DNS subdomain prefix and '/', then a name of alphanumerics, '-', '_' and '.'.
    [GeneratedRegex(@"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$")]
    private static partial Regex QualifiedName();
}
