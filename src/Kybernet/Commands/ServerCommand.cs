using System.CommandLine;
using System.Net;
using Kybernet.ApiServer;
using Kybernet.Store;

namespace Kybernet.Cli.Commands;

/// <summary>`kybernet server`: the Kubernetes-compatible API server over SQLite (default) or etcd.</summary>
internal static class ServerCommand
{
    public static Command Create()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "Where the server keeps its store, certificates and admin.kubeconfig", Required = true };
        var listen = new Option<string>("--listen") { Description = "Address and port to serve HTTPS on", DefaultValueFactory = _ => "127.0.0.1:6443" };
        var store = new Option<string>("--store") { Description = "sqlite (embedded, in the data dir) or etcd://HOST:PORT[,HOST:PORT...]", DefaultValueFactory = _ => "sqlite" };
        var sans = new Option<string[]>("--tls-san") { Description = "Extra names or addresses for the serving certificate", AllowMultipleArgumentsPerToken = true };
        var command = new Command("server", "Run the API server (kubectl talks to it through DATA_DIR/admin.kubeconfig)") { dataDir, listen, store, sans };
        command.SetAction(async (parsed, ct) =>
        {
            var directory = Path.GetFullPath(parsed.GetValue(dataDir)!);
            if (!IPEndPoint.TryParse(parsed.GetValue(listen)!, out var endpoint))
            {
                Console.Error.WriteLine($"kybernet: --listen \"{parsed.GetValue(listen)}\" is not ADDRESS:PORT");
                return 1;
            }
            Directory.CreateDirectory(directory);
            await using var kv = StoreFactory.Open(parsed.GetValue(store)!, directory);
            await using var server = await ApiServerHost.StartAsync(new ApiServerOptions
            {
                DataDirectory = directory,
                Listen = endpoint,
                ExtraSans = parsed.GetValue(sans) ?? [],
            }, kv, ct: ct);
            Console.WriteLine($"kybernet server is serving at {server.Url} (store: {parsed.GetValue(store)})");
            Console.WriteLine($"kubectl: export KUBECONFIG={server.KubeconfigPath}");
            // The web host handles SIGTERM and SIGINT itself (it stops serving); we then shut the rest down.
            try { await server.WaitForShutdownAsync(ct); }
            catch (OperationCanceledException) { }
            Console.WriteLine("kybernet server is stopping");
            return 0;
        });
        return command;
    }
}
