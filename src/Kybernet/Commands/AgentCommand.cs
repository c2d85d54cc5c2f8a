using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Kybernet.Cli.Logging;
using Kybernet.Client;
using Kybernet.Linux.Namespaces;
using Kybernet.Linux.Netlink;
using Kybernet.Overlay.Agent;
using Kybernet.Overlay.Backends;
using Kybernet.Overlay.Subnets;
using Kybernet.Store.Etcd;
using Microsoft.Extensions.Logging;

namespace Kybernet.Cli.Commands;

/// <summary>
/// `kybernet agent`: the node agent; for now the overlay (flanneld), in the network namespace it is started in, with its
/// leases in etcd (--etcd-endpoints) or on the Node objects through the API (--kube-subnet-mgr): exactly one of the two.
/// </summary>
internal static class AgentCommand
{
    public static Command Create()
    {
        var endpoints = new Option<string?>("--etcd-endpoints") { Description = "etcd mode: etcd client URLs, http://HOST:PORT[,...]" };
        var prefix = new Option<string>("--etcd-prefix") { Description = "etcd mode: key prefix of the network config and leases", DefaultValueFactory = _ => "/coreos.com/network" };
        var leaseTtl = new Option<int>("--lease-ttl") { Description = "etcd mode: lease lifetime without renewal, in seconds", DefaultValueFactory = _ => 24 * 3600 };
        var kubeMode = new Option<bool>("--kube-subnet-mgr") { Description = "kube mode: the subnet is this node's spec.podCIDR, published and watched through the API" };
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "kube mode: the kubeconfig to reach the API with (default: $KUBECONFIG)" };
        var nodeName = new Option<string?>("--node-name") { Description = "kube mode: this node's Node object (default: $NODE_NAME); the agent waits for it, it never creates it" };
        var netConf = new Option<string>("--net-conf") { Description = "kube mode: the network config JSON file", DefaultValueFactory = _ => KubeSubnetManagerOptions.DefaultNetConfPath };
        var annotationPrefix = new Option<string>("--kube-annotation-prefix") { Description = "kube mode: prefix of the node annotations", DefaultValueFactory = _ => "flannel.alpha.coreos.com" };
        var iface = new Option<string>("--iface") { Description = "The underlay device overlay traffic leaves by", DefaultValueFactory = _ => "eth0" };
        var publicIp = new Option<string?>("--public-ip") { Description = "This node's address other nodes send to (default: the first IPv4 address of --iface)" };
        var subnetFile = new Option<string>("--subnet-file") { Description = "Where to write subnet.env", DefaultValueFactory = _ => SubnetEnv.DefaultPath };
        var ipMasq = new Option<bool>("--ip-masq") { Description = "Masquerade traffic leaving the pod network" };
        var logLevel = LogOptions.Level();
        var command = new Command("agent", "Run the node agent (the overlay: a subnet lease in etcd or on the Node object, and the backend the network config names)")
        {
            endpoints, prefix, leaseTtl, kubeMode, kubeconfig, nodeName, netConf, annotationPrefix, iface, publicIp, subnetFile, ipMasq, logLevel,
        };
        command.SetAction(async (parsed, cancel) =>
        {
            if (LogOptions.Parse(parsed.GetValue(logLevel)!) is not { } level)
                return Fail($"--log-level \"{parsed.GetValue(logLevel)}\" is not one of trace, debug, info, warning, error");
            using var shutdown = ShutdownSignal.Link(cancel);
            using var loggers = LogOptions.CreateFactory(level);
            var log = loggers.CreateLogger("agent");
            try
            {
                return await Run(parsed, loggers, log, shutdown.Token);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The whole exception: a failure the agent did not expect needs its stack to be understood.
                log.LogCritical(e, "{Error}", e.Message);
                return 1;
            }
        });
        return command;

        // Which options were given on the command line (not defaulted).
        static bool Given(ParseResult parsed, Option option) => parsed.GetResult(option) is { Implicit: false };

        async Task<int> Run(ParseResult parsed, ILoggerFactory loggers, ILogger log, CancellationToken ct)
        {
            // Exactly one mode, and no option of the other one.
            var etcdMode = parsed.GetValue(endpoints) is not null;
            var kube = parsed.GetValue(kubeMode);
            if (etcdMode == kube)
                return Fail(kube
                    ? "--etcd-endpoints and --kube-subnet-mgr are two ways to keep leases: give one of them"
                    : "give --etcd-endpoints URL (leases in etcd, flannel's layout) or --kube-subnet-mgr (leases on the Node objects, through the API)");
            Option[] etcdOnly = [prefix, leaseTtl];
            Option[] kubeOnly = [kubeconfig, nodeName, netConf, annotationPrefix];
            if ((kube ? etcdOnly : kubeOnly).FirstOrDefault(o => Given(parsed, o)) is { } misplaced)
                return Fail($"{misplaced.Name} belongs to {(kube ? "--etcd-endpoints" : "--kube-subnet-mgr")} mode, not to {(kube ? "--kube-subnet-mgr" : "--etcd-endpoints")} mode");

            using var node = NetworkNamespace.OpenCurrent();
            var device = parsed.GetValue(iface)!;
            IPAddress address;
            if (parsed.GetValue(publicIp) is { } text)
            {
                if (!IPAddress.TryParse(text, out address!) || address.AddressFamily != AddressFamily.InterNetwork)
                    return Fail($"--public-ip \"{text}\" is not an IPv4 address");
            }
            else
            {
                using var netlink = RtNetlink.Open(node);
                var first = netlink.Addresses.List(device, AddressFamily.InterNetwork).FirstOrDefault();
                if (first is null)
                    return Fail($"{device} has no IPv4 address in {node.Describe()}; give --public-ip");
                address = first.Address.Address;
            }

            var options = new OverlayAgentOptions
            {
                External = new ExternalInterface(node, device, address),
                SubnetFile = parsed.GetValue(subnetFile)!,
                IpMasq = parsed.GetValue(ipMasq),
                Log = loggers.CreateLogger("overlay"),
            };
            if (kube)
            {
                var config = parsed.GetValue(kubeconfig) ?? Environment.GetEnvironmentVariable("KUBECONFIG");
                var name = parsed.GetValue(nodeName) ?? Environment.GetEnvironmentVariable("NODE_NAME");
                if (string.IsNullOrEmpty(config))
                    return Fail("--kube-subnet-mgr needs --kubeconfig PATH (or KUBECONFIG in the environment)");
                if (string.IsNullOrEmpty(name))
                    return Fail("--kube-subnet-mgr needs --node-name NAME (or NODE_NAME in the environment)");
                using var client = KubeClient.FromKubeconfig(config);
                var subnets = new KubeSubnetManager(client, new KubeSubnetManagerOptions
                {
                    NodeName = name,
                    NetConfPath = parsed.GetValue(netConf)!,
                    AnnotationPrefix = parsed.GetValue(annotationPrefix)!,
                    Log = loggers.CreateLogger("kube-subnet-manager"),
                });
                log.LogInformation("kube mode, node {Node}, network config {NetConf}", name, Path.GetFullPath(subnets.Options.NetConfPath));
                return await RunAgent(subnets, options, log, ct);
            }

            await using var store = new EtcdStore(EtcdStoreOptions.Parse(parsed.GetValue(endpoints)!) with { Log = loggers.CreateLogger("etcd") });
            return await RunAgent(new EtcdSubnetManager(store, new EtcdSubnetManagerOptions
            {
                Prefix = parsed.GetValue(prefix)!,
                LeaseTtl = TimeSpan.FromSeconds(parsed.GetValue(leaseTtl)),
            }), options, log, ct);
        }

        static async Task<int> RunAgent(ISubnetManager subnets, OverlayAgentOptions options, ILogger log, CancellationToken ct)
        {
            await using var agent = await OverlayAgent.StartAsync(subnets, BackendRegistry.CreateDefault(), options, ct);
            log.LogInformation("up: subnet {Subnet}, subnet.env at {SubnetFile}", agent.Lease.Subnet, Path.GetFullPath(options.SubnetFile));
            try
            {
                await agent.Completion.WaitAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            log.LogInformation("stopping (its lease stays)");
            return agent.Completion.IsFaulted ? 1 : 0;
        }

        static int Fail(string message)
        {
            Console.Error.WriteLine($"kybernet agent: {message}");
            return 1;
        }
    }
}
