using System.Security.Cryptography;
using System.Text;

namespace Kybernet.ApiServer.Security;

/// <summary>
/// The admin's bearer token (DATA_DIR/pki/admin.token, made once) and the kubeconfig that carries it
/// with the CA, written to DATA_DIR/admin.kubeconfig for kubectl.
/// </summary>
public static class AdminCredentials
{
    public static string LoadOrCreateToken(string directory)
    {
        var path = Path.Combine(directory, "admin.token");
        if (File.Exists(path))
        {
            var kept = File.ReadAllText(path).Trim();
            // An empty token would let an empty bearer header in as the admin.
            return kept.Length >= 16 ? kept : throw new InvalidOperationException($"{path} holds no usable token (empty or shorter than 16 characters): delete it to have a new one made");
        }
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        SecretFile.Write(path, token);
        return token;
    }

    /// <summary>A kubeconfig for <paramref name="server"/> that trusts only the cluster CA and sends <paramref name="token"/> as <paramref name="user"/>.</summary>
    public static string Kubeconfig(string server, string caPem, string token, string user = "admin")
    {
        var ca = Convert.ToBase64String(Encoding.ASCII.GetBytes(caPem));
        return $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: kybernet
              cluster:
                server: {server}
                certificate-authority-data: {ca}
            contexts:
            - name: kybernet
              context:
                cluster: kybernet
                user: {user}
            current-context: kybernet
            users:
            - name: {user}
              user:
                token: {token}

            """;
    }

    public static void WriteKubeconfig(string path, string content) => SecretFile.Write(path, content);
}
