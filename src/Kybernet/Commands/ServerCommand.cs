using System.CommandLine;
using System.Net;
using Kybernet.ApiServer;
using Kybernet.Cli.Logging;
using Kybernet.Client;
using Kybernet.ApiServer.Protobuf;
using Kybernet.Controllers;
using Kybernet.Controllers.EndpointSlices;
using Kybernet.Controllers.LeaderElection;
using Kybernet.Controllers.NodeIpam;
using Kybernet.Controllers.NodeLifecycle;
using Kybernet.Controllers.PodGarbageCollection;
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
        var graceFlag = new Option<string>("--node-monitor-grace-period") { Description = "How long a node may go without a heartbeat before it is marked Unknown and tainted unreachable (Go duration)", DefaultValueFactory = _ => "40s" };
        var gcThreshold = new Option<int>("--terminated-pod-gc-threshold") { Description = "Finished pods kept before the oldest are deleted (0: keep all)", DefaultValueFactory = _ => PodGarbageCollectorOptions.DefaultTerminatedPodThreshold };
        var leaderElect = new Option<bool>("--leader-elect") { Description = "Run the controllers only while holding the lease kube-system/kube-controller-manager (for several servers on one store)", DefaultValueFactory = _ => true };
        var leaseDuration = new Option<string>("--leader-elect-lease-duration") { Description = "How long others wait after the last renewal before taking the lease (Go duration)", DefaultValueFactory = _ => "15s" };
        var renewDeadline = new Option<string>("--leader-elect-renew-deadline") { Description = "How long the leader tries to renew before it stops leading (Go duration)", DefaultValueFactory = _ => "10s" };
        var retryPeriod = new Option<string>("--leader-elect-retry-period") { Description = "How often to try to acquire or renew the lease (Go duration)", DefaultValueFactory = _ => "2s" };
        var maxEndpointsPerSlice = new Option<int>("--max-endpoints-per-slice") { Description = "The most endpoints one EndpointSlice holds (1-1000)", DefaultValueFactory = _ => EndpointSliceOptions.DefaultMaxEndpointsPerSlice };
        var logLevel = LogOptions.Level();
        var command = new Command("server", "Run the API server and the controllers (kubectl talks to it through DATA_DIR/admin.kubeconfig)")
        {
            dataDir, listen, store, sans, allocate, clusterCidr, maskSize, maxEndpointsPerSlice, graceFlag, gcThreshold, leaderElect, leaseDuration, renewDeadline, retryPeriod, logLevel,
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
            var durations = new Dictionary<Option<string>, TimeSpan>();
            foreach (var flag in new[] { graceFlag, leaseDuration, renewDeadline, retryPeriod })
            {
                if (ParseDuration(parsed.GetValue(flag)!) is not { } duration)
                {
                    Console.Error.WriteLine($"kybernet: {flag.Name} \"{parsed.GetValue(flag)}\" is not a positive duration (e.g. 40s, 1m30s)");
                    return 1;
                }
                durations[flag] = duration;
            }
            var controllerOptions = new ControllerManagerOptions
            {
                AllocateNodeCidrs = parsed.GetValue(allocate),
                NodeIpam = new NodeIpamOptions { ClusterCidr = cluster, NodeCidrMaskSize = parsed.GetValue(maskSize) },
                NodeLifecycle = new NodeLifecycleOptions { GracePeriod = durations[graceFlag] },
                PodGarbageCollector = new PodGarbageCollectorOptions { TerminatedPodThreshold = parsed.GetValue(gcThreshold) },
                EndpointSlices = new EndpointSliceOptions { MaxEndpointsPerSlice = parsed.GetValue(maxEndpointsPerSlice) },
            };
            // A graceful stop hands the lease back, so another server takes over at once instead of after the lease duration.
            var election = new LeaderElectionOptions
            {
                LeaseDuration = durations[leaseDuration],
                RenewDeadline = durations[renewDeadline],
                RetryPeriod = durations[retryPeriod],
                ReleaseOnStop = true,
            };
            try
            {
                controllerOptions.EndpointSlices.Validate();
                if (controllerOptions.AllocateNodeCidrs)
                    controllerOptions.NodeIpam.Validate();
                election.Validate();
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"kybernet: {e.Message}");
                return 1;
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
            // With --leader-elect, only while this server holds the lease kube-system/kube-controller-manager.
            using var client = KubeClient.FromKubeconfig(server.ControllerManagerKubeconfigPath);
            IAsyncDisposable controllers = parsed.GetValue(leaderElect)
                ? LeaderElectedControllerManager.Start(client, controllerOptions, election, server.Stopping)
                : ControllerManager.Start(client, controllerOptions, server.Stopping);
            // The controllers stop, and the lease goes back, while the API still serves: the host runs this callback as
            // it begins to stop, and waits for it (bounded) before it stops listening.
            var stopped = new Lazy<Task>(() => controllers.DisposeAsync().AsTask());
            using var stopFirst = server.Stopping.Register(() => ((IAsyncResult)stopped.Value).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(15)));
            try
            {
                // The web host handles SIGTERM and SIGINT itself (it stops serving); we then shut the rest down.
                try { await server.WaitForShutdownAsync(ct); }
                catch (OperationCanceledException) { } // our own token: the same shutdown, asked for another way
                log.LogInformation("stopping");
            }
            finally
            {
                await stopped.Value;
            }
            return 0;
        });
        return command;
    }

    /// <summary>A Go duration ("40s", "1m30s") as kube-controller-manager's flags take them; null unless positive.</summary>
    private static TimeSpan? ParseDuration(string text)
    {
        try
        {
            var nanoseconds = GoDuration.Parse(text);
            return nanoseconds > 0 ? TimeSpan.FromTicks(nanoseconds / 100) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
