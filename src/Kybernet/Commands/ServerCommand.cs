using System.CommandLine;
using System.Net;
using Kybernet.ApiServer;
using Kybernet.Cli.Logging;
using Kybernet.Client;
using Kybernet.Controllers;
using Kybernet.Controllers.EndpointSlices;
using Kybernet.Controllers.NodeIpam;
using Kybernet.Controllers.RootCaPublisher;
using Kybernet.Store;
using Microsoft.Extensions.Logging;

namespace Kybernet.Cli.Commands;

/// <summary>`kybernet server`: the Kubernetes-compatible API server over SQLite (default) or etcd, and the controllers.</summary>
internal static class ServerCommand
{
    public static Command Create()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "Where the server keeps its store, certificates and admin.kubeconfig", Required = true };
        var listen = new Option<string>("--listen") { Description = "Address and port to serve HTTPS on", DefaultValueFactory = _ => "127.0.0.1:6443" };
        var store = new Option<string>("--store") { Description = "sqlite (embedded, in the data dir) or etcd://HOST:PORT[,HOST:PORT...]", DefaultValueFactory = _ => "sqlite" };
        var sans = new Option<string[]>("--tls-san") { Description = "Extra names or addresses for the serving certificate", AllowMultipleArgumentsPerToken = true };
        var allocate = new Option<bool>("--allocate-node-cidrs") { Description = "Give every node a pod CIDR from --cluster-cidr (spec.podCIDR)", DefaultValueFactory = _ => true };
        var clusterCidr = new Option<string>("--cluster-cidr") { Description = "The pod network node CIDRs are cut from", DefaultValueFactory = _ => NodeIpamOptions.DefaultClusterCidr.ToString() };
        var maskSize = new Option<int>("--node-cidr-mask-size") { Description = "The prefix length of each node's pod CIDR", DefaultValueFactory = _ => NodeIpamOptions.DefaultNodeCidrMaskSize };
        var maxEndpointsPerSlice = new Option<int>("--max-endpoints-per-slice") { Description = "The most endpoints one EndpointSlice holds (1-1000)", DefaultValueFactory = _ => EndpointSliceOptions.DefaultMaxEndpointsPerSlice };
        var logLevel = LogOptions.Level();
        var command = new Command("server", "Run the API server and the controllers (kubectl talks to it through DATA_DIR/admin.kubeconfig)")
        {
            dataDir, listen, store, sans, allocate, clusterCidr, maskSize, maxEndpointsPerSlice, logLevel,
        };
        command.SetAction(async (parsed, ct) =>
        {
            var directory = Path.GetFullPath(parsed.GetValue(dataDir)!);
            if (LogOptions.Parse(parsed.GetValue(logLevel)!) is not { } level)
            {
                Console.Error.WriteLine($"kybernet: --log-level \"{parsed.GetValue(logLevel)}\" is not one of trace, debug, info, warning, error");
                return 1;
            }
            if (!IPEndPoint.TryParse(parsed.GetValue(listen)!, out var endpoint))
            {
                Console.Error.WriteLine($"kybernet: --listen \"{parsed.GetValue(listen)}\" is not ADDRESS:PORT");
                return 1;
            }
            if (!IPNetwork.TryParse(parsed.GetValue(clusterCidr)!, out var cluster))
            {
                Console.Error.WriteLine($"kybernet: --cluster-cidr \"{parsed.GetValue(clusterCidr)}\" is not a CIDR (e.g. 10.244.0.0/16)");
                return 1;
            }
            var controllerOptions = new ControllerManagerOptions
            {
                AllocateNodeCidrs = parsed.GetValue(allocate),
                NodeIpam = new NodeIpamOptions { ClusterCidr = cluster, NodeCidrMaskSize = parsed.GetValue(maskSize) },
                EndpointSlices = new EndpointSliceOptions { MaxEndpointsPerSlice = parsed.GetValue(maxEndpointsPerSlice) },
            };
            try { controllerOptions.EndpointSlices.Validate(); }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"kybernet: {e.Message}");
                return 1;
            }
            if (controllerOptions.AllocateNodeCidrs)
            {
                try { controllerOptions.NodeIpam.Validate(); }
                catch (ArgumentException e)
                {
                    Console.Error.WriteLine($"kybernet: {e.Message}");
                    return 1;
                }
            }

            // Disposed last (declared first): it flushes whatever the components logged on their way down.
            using var loggers = LogOptions.CreateFactory(level);
            var log = loggers.CreateLogger("server");
            controllerOptions = controllerOptions with { Loggers = loggers };
            Directory.CreateDirectory(directory);
            await using var kv = StoreFactory.Open(parsed.GetValue(store)!, directory, loggers);
            await using var server = await ApiServerHost.StartAsync(new ApiServerOptions
            {
                DataDirectory = directory,
                Listen = endpoint,
                ExtraSans = parsed.GetValue(sans) ?? [],
            }, kv, loggers, ct);
            log.LogInformation("serving at {Url} (store: {Store})", server.Url, parsed.GetValue(store));
            log.LogInformation("kubectl: export KUBECONFIG={Kubeconfig}", server.KubeconfigPath);

            // The cluster CA the API server made (or found) in its data directory, for kube-root-ca.crt in every namespace.
            controllerOptions = controllerOptions with
            {
                RootCa = new RootCaPublisherOptions { CaPem = await File.ReadAllTextAsync(ApiServerHost.CaCertificatePath(directory), ct) },
            };
            // The controllers talk to the API like any other client (kube-controller-manager's way), as
            // system:kube-controller-manager, with what its RBAC role allows.
            using var client = KubeClient.FromKubeconfig(server.ControllerManagerKubeconfigPath);
            await using var controllers = ControllerManager.Start(client, controllerOptions, server.Stopping);

            // The web host handles SIGTERM and SIGINT itself (it stops serving); we then shut the rest down.
            try { await server.WaitForShutdownAsync(ct); }
            catch (OperationCanceledException) { } // our own token: the same shutdown, asked for another way
            log.LogInformation("stopping");
            return 0;
        });
        return command;
    }
}
