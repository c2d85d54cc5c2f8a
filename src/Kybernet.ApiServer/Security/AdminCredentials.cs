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
            return File.ReadAllText(path).Trim();
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var temp = path + ".tmp";
        File.WriteAllText(temp, token);
        File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, path, overwrite: true);
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

    public static void WriteKubeconfig(string path, string content)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, content);
        File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, path, overwrite: true);
    }
}
