using System.Text.RegularExpressions;
using Kybernet.Api.Names;
using Kybernet.ApiServer.Security.Authentication;

namespace Kybernet.ApiServer.Security;

/// <summary>
/// A node agent's kubeconfig (`kybernet kubeconfig node NAME`): the cluster CA and a token for
/// system:node:NAME (group system:nodes), signed with the server's key in DATA_DIR/pki, so it is made
/// on the server's machine without the server running. Upstream gives kubelets client certificates;
/// a token of the key that already signs ServiceAccount tokens gives the same identity with one
/// mechanism less.
/// </summary>
public static partial class NodeCredentials
{
    public static string Kubeconfig(string dataDirectory, string node, string? server = null)
    {
        if (NameValidation.IsDns1123Subdomain(node) is { Count: > 0 } problems)
            throw new ArgumentException($"node name \"{node}\" is not valid: {string.Join("; ", problems)}");
        var pki = Path.Combine(dataDirectory, "pki");
        var caPath = Path.Combine(pki, "ca.crt");
        if (!File.Exists(caPath))
            throw new ArgumentException($"{caPath} does not exist: start `kybernet server --data-dir {dataDirectory}` once first");
        server ??= ServerOf(Path.Combine(dataDirectory, "admin.kubeconfig"))
            ?? throw new ArgumentException($"no --server given and no server in {Path.Combine(dataDirectory, "admin.kubeconfig")}");
        using var key = SigningKey.LoadOrCreate(pki);
        var token = new TokenIssuer(key).IssueIdentityToken(UserInfo.NodePrefix + node).Token;
        return AdminCredentials.Kubeconfig(server.TrimEnd('/'), File.ReadAllText(caPath), token, UserInfo.NodePrefix + node);
    }

    /// <summary>
    /// The node's kubelet serving certificate and key (kubelet.crt, kubelet.key) in <paramref name="directory"/>,
    /// signed by the cluster CA for the node's name and <paramref name="address"/>: what the API server checks when
    /// it calls the kubelet for logs, exec and port-forward.
    /// </summary>
    public static (string Certificate, string Key) WriteServingCertificate(string dataDirectory, string node, System.Net.IPAddress address, string directory)
    {
        if (NameValidation.IsDns1123Subdomain(node) is { Count: > 0 } problems)
            throw new ArgumentException($"node name \"{node}\" is not valid: {string.Join("; ", problems)}");
        using var ca = CertificateAuthority.LoadCa(Path.Combine(dataDirectory, "pki"));
        Directory.CreateDirectory(directory);
        var (cert, key) = (Path.Combine(directory, "kubelet.crt"), Path.Combine(directory, "kubelet.key"));
        CertificateAuthority.IssueKubeletServing(ca, node, [address], cert, key);
        return (cert, key);
    }

    /// <summary>The server URL of a kubeconfig Kybernet wrote (one cluster); null when there is none.</summary>
    private static string? ServerOf(string kubeconfig) =>
        File.Exists(kubeconfig) && ServerLine().Match(File.ReadAllText(kubeconfig)) is { Success: true } m ? m.Groups[1].Value.Trim() : null;

    [GeneratedRegex(@"^\s*server:\s*(\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex ServerLine();
}
