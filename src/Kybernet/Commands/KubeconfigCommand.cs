using System.CommandLine;
using Kybernet.ApiServer.Security;

namespace Kybernet.Cli.Commands;

/// <summary>`kybernet kubeconfig node NAME`: a kubeconfig with the identity system:node:NAME, for that node's agent.</summary>
internal static class KubeconfigCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "The node's name" };
        var dataDir = new Option<string>("--data-dir") { Description = "The server's data directory (its pki/ holds the CA and the signing key)", Required = true };
        var server = new Option<string?>("--server") { Description = "The API server's URL (default: the one in DATA_DIR/admin.kubeconfig)" };
        var output = new Option<string?>("-o", "--output") { Description = "Where to write it (default: standard output)" };
        var kubeletAddress = new Option<string?>("--kubelet-address")
        {
            Description = "Also write the node's kubelet serving certificate (kubelet.crt, kubelet.key, signed by the cluster CA for NAME and this IP) beside the output file",
        };
        var node = new Command("node", "Write a kubeconfig for a node's agent (user system:node:NAME, group system:nodes)") { name, dataDir, server, output, kubeletAddress };
        node.SetAction(parsed =>
        {
            System.Net.IPAddress? kubeletIp = null;
            if (parsed.GetValue(kubeletAddress) is { } address
                && (!System.Net.IPAddress.TryParse(address, out kubeletIp) || parsed.GetValue(output) is null))
            {
                Console.Error.WriteLine($"kybernet: --kubelet-address needs an IP address (got \"{address}\") and -o (the certificate is written beside it)");
                return 1;
            }
            string kubeconfig;
            try { kubeconfig = NodeCredentials.Kubeconfig(Path.GetFullPath(parsed.GetValue(dataDir)!), parsed.GetValue(name)!, parsed.GetValue(server)); }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"kybernet: {e.Message}");
                return 1;
            }
            if (parsed.GetValue(output) is { } path)
                AdminCredentials.WriteKubeconfig(path, kubeconfig);
            else
                Console.Out.Write(kubeconfig);
            if (kubeletIp is not null)
            {
                var beside = Path.GetDirectoryName(Path.GetFullPath(parsed.GetValue(output)!))!;
                var (cert, _) = NodeCredentials.WriteServingCertificate(Path.GetFullPath(parsed.GetValue(dataDir)!), parsed.GetValue(name)!, kubeletIp, beside);
                Console.Error.WriteLine($"kybernet: wrote {cert} and its key");
            }
            return 0;
        });
        return new Command("kubeconfig", "Make kubeconfigs for the cluster's components") { node };
    }
}
