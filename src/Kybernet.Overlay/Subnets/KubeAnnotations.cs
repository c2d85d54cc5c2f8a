using System.Text.RegularExpressions;

namespace Kybernet.Overlay.Subnets;

/// <summary>
/// flannel's node annotation keys under a prefix (pkg/subnet/kube/annotations.go): "flannel.alpha.coreos.com" gives
/// flannel.alpha.coreos.com/public-ip, .../backend-type, .../backend-data and .../kube-subnet-manager; a prefix with
/// a slash already ("example.com/flannel") gets a dash ("example.com/flannel-public-ip").
/// </summary>
internal sealed partial record KubeAnnotations(string PublicIp, string BackendType, string BackendData, string KubeSubnetManager)
{
    public static KubeAnnotations For(string prefix)
    {
        if (prefix.Count(c => c == '/') > 1)
            throw new ArgumentException($"annotation prefix \"{prefix}\" may contain at most one slash");
        if (!prefix.Contains('/'))
            prefix += "/";
        if (!prefix.EndsWith('/') && !prefix.EndsWith('-'))
            prefix += "-";
        if (!Format().IsMatch(prefix))
            throw new ArgumentException($"annotation prefix \"{prefix}\" must look like fqdn/[0-9a-z-_]*");
        return new(prefix + "public-ip", prefix + "backend-type", prefix + "backend-data", prefix + "kube-subnet-manager");
    }

    public IEnumerable<string> All => [PublicIp, BackendType, BackendData, KubeSubnetManager];

    [GeneratedRegex(@"^(?:[a-z0-9_-]+\.)+[a-z0-9_-]+/(?:[a-z0-9_-]+-)?$")]
    private static partial Regex Format();
}
