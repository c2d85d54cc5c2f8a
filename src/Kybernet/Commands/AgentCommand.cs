using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Kybernet.Agent;
using Kybernet.Cli.Logging;
using Kybernet.Kubelet;
using Kybernet.Overlay.Agent;
using Kybernet.Overlay.Subnets;
using Microsoft.Extensions.Logging;

namespace Kybernet.Cli.Commands;

/// <summary>
/// `kybernet agent`: the node agent (<see cref="NodeAgent"/>), in the network namespace it is started in. This command only
/// parses options: exactly one of two ways to keep leases, in etcd (--etcd-endpoints) or on the Node objects through the
/// API (--kube-subnet-mgr). Every default comes from the options types.
/// </summary>
internal static class AgentCommand
{
    public static Command Create()
    {
        var endpoints = new Option<string?>("--etcd-endpoints") { Description = "etcd mode: etcd client URLs, http://HOST:PORT[,...]" };
        var prefix = new Option<string>("--etcd-prefix") { Description = "etcd mode: key prefix of the network config and leases", DefaultValueFactory = _ => EtcdSubnetManagerOptions.DefaultPrefix };
        var leaseTtl = new Option<int>("--lease-ttl") { Description = "etcd mode: lease lifetime without renewal, in seconds", DefaultValueFactory = _ => (int)EtcdSubnetManagerOptions.DefaultLeaseTtl.TotalSeconds };
        var kubeMode = new Option<bool>("--kube-subnet-mgr") { Description = "kube mode: the subnet is this node's spec.podCIDR, published and watched through the API" };
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "kube mode: the kubeconfig to reach the API with (default: $KUBECONFIG)" };
        var nodeName = new Option<string?>("--node-name") { Description = "kube mode: this node's Node object (default: $NODE_NAME); the agent waits for it, it never creates it" };
        var netConf = new Option<string>("--net-conf") { Description = "kube mode: the network config JSON file", DefaultValueFactory = _ => KubeSubnetManagerOptions.DefaultNetConfPath };
        var annotationPrefix = new Option<string>("--kube-annotation-prefix") { Description = "kube mode: prefix of the node annotations", DefaultValueFactory = _ => KubeSubnetManagerOptions.DefaultAnnotationPrefix };
        var iface = new Option<string>("--iface") { Description = "The underlay device overlay traffic leaves by", DefaultValueFactory = _ => AgentOptions.DefaultInterface };
        var publicIp = new Option<string?>("--public-ip") { Description = "This node's address other nodes send to (default: the first IPv4 address of --iface)" };
        var subnetFile = new Option<string>("--subnet-file") { Description = "Where to write subnet.env", DefaultValueFactory = _ => SubnetEnv.DefaultPath };
        var ipMasq = new Option<bool>("--ip-masq") { Description = "Masquerade traffic leaving the pod network" };
        var resyncPeriod = new Option<int>("--resync-period")
        {
            Description = "Seconds between resyncs, which re-read the node's kernel and restore what went missing (routes, neighbours, FDB entries, the backend's device, forwarding, the masquerade table) and retry a failed apply",
            DefaultValueFactory = _ => (int)OverlayAgentOptions.DefaultResyncPeriod.TotalSeconds,
        };
        var kubelet = new Option<bool>("--kubelet") { Description = "kube mode: also run the kubelet (registers the Node, runs the pods bound to it on the container runtime through CRI)" };
        var runtimeEndpoint = new Option<string>("--container-runtime-endpoint") { Description = "kubelet: the runtime's CRI socket", DefaultValueFactory = _ => new KubeletSettings().RuntimeEndpoint };
        var rootDir = new Option<string>("--root-dir") { Description = "kubelet: pod directories (volumes, /etc/hosts) go under DIR/pods", DefaultValueFactory = _ => KubeletOptions.DefaultRootDirectory };
        var podLogDir = new Option<string>("--pod-log-dir") { Description = "kubelet: where the runtime writes container logs", DefaultValueFactory = _ => KubeletOptions.DefaultPodLogDirectory };
        var cniConfDir = new Option<string>("--cni-conf-dir") { Description = "kubelet: where the node's CNI conflist is written for the runtime", DefaultValueFactory = _ => KubeletOptions.DefaultCniConfDirectory };
        var cniIpamDir = new Option<string?>("--cni-ipam-dir") { Description = "kubelet: host-local's reservations directory in the conflist (default: ROOT-DIR/ipam)" };
        var cgroupParent = new Option<string>("--cgroup-parent") { Description = "kubelet: every pod's cgroup is made under this one", DefaultValueFactory = _ => KubeletOptions.DefaultCgroupParent };
        var clusterDns = new Option<string>("--cluster-dns") { Description = "kubelet: the cluster DNS service IP, ClusterFirst pods' nameserver", DefaultValueFactory = _ => "10.96.0.10" };
        var clusterDomain = new Option<string>("--cluster-domain") { Description = "kubelet: the cluster's DNS domain", DefaultValueFactory = _ => "cluster.local" };
        var kubeletPort = new Option<int>("--kubelet-port") { Description = "kubelet: the port of its API (logs for the API server) on the node's address", DefaultValueFactory = _ => KubeletOptions.DefaultServerPort };
        var tlsCert = new Option<string?>("--tls-cert-file") { Description = "kubelet: its API's serving certificate, PEM (default: a self-signed one in ROOT-DIR/pki)" };
        var tlsKey = new Option<string?>("--tls-private-key-file") { Description = "kubelet: the serving certificate's key, PEM" };
        var clientCa = new Option<string?>("--client-ca-file") { Description = "kubelet: the CA whose client certificates its API accepts (default: the kubeconfig's CA)" };
        var logLevel = LogOptions.Level();
        var command = new Command("agent", "Run the node agent (the overlay: a subnet lease in etcd or on the Node object, and the backend the network config names)")
        {
            endpoints, prefix, leaseTtl, kubeMode, kubeconfig, nodeName, netConf, annotationPrefix, iface, publicIp, subnetFile, ipMasq, resyncPeriod,
            kubelet, runtimeEndpoint, rootDir, podLogDir, cniConfDir, cniIpamDir, cgroupParent, clusterDns, clusterDomain, kubeletPort, tlsCert, tlsKey, clientCa, logLevel,
        };
        command.SetAction(async (parsed, cancel) =>
        {
            if (LogOptions.Parse(parsed.GetValue(logLevel)!) is not { } level)
                return Fail($"--log-level \"{parsed.GetValue(logLevel)}\" is not one of trace, debug, info, warning, error");
            if (Parse(parsed) is not { } options)
                return 1;
            using var shutdown = ShutdownSignal.Link(cancel);
            using var loggers = LogOptions.CreateFactory(level);
            var log = loggers.CreateLogger("agent");
            try
            {
                return await NodeAgent.RunAsync(options with { Loggers = loggers }, shutdown.Token);
            }
            catch (AgentConfigurationException e)
            {
                return Fail(e.Message);
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

        // The command line as agent options, or null after saying what is wrong.
        AgentOptions? Parse(ParseResult parsed)
        {
            // Exactly one mode, and no option of the other one.
            var etcdMode = parsed.GetValue(endpoints) is not null;
            var kube = parsed.GetValue(kubeMode);
            if (etcdMode == kube)
                return Refuse(kube
                    ? "--etcd-endpoints and --kube-subnet-mgr are two ways to keep leases: give one of them"
                    : "give --etcd-endpoints URL (leases in etcd, flannel's layout) or --kube-subnet-mgr (leases on the Node objects, through the API)");
            Option[] etcdOnly = [prefix, leaseTtl];
            Option[] kubeOnly = [kubeconfig, nodeName, netConf, annotationPrefix, kubelet];
            Option[] kubeletOnly = [runtimeEndpoint, rootDir, podLogDir, cniConfDir, cniIpamDir, cgroupParent, clusterDns, clusterDomain, kubeletPort, tlsCert, tlsKey, clientCa];
            if (!parsed.GetValue(kubelet) && kubeletOnly.FirstOrDefault(o => Given(parsed, o)) is { } needsKubelet)
                return Refuse($"{needsKubelet.Name} is a kubelet option: give --kubelet too");
            if (!IPAddress.TryParse(parsed.GetValue(clusterDns), out var dnsIp))
                return Refuse($"--cluster-dns \"{parsed.GetValue(clusterDns)}\" is not an IP address");
            if ((kube ? etcdOnly : kubeOnly).FirstOrDefault(o => Given(parsed, o)) is { } misplaced)
                return Refuse($"{misplaced.Name} belongs to {(kube ? "--etcd-endpoints" : "--kube-subnet-mgr")} mode, not to {(kube ? "--kube-subnet-mgr" : "--etcd-endpoints")} mode");

            IPAddress? address = null;
            if (parsed.GetValue(publicIp) is { } text && (!IPAddress.TryParse(text, out address) || address.AddressFamily != AddressFamily.InterNetwork))
                return Refuse($"--public-ip \"{text}\" is not an IPv4 address");
            var seconds = parsed.GetValue(resyncPeriod);
            if (seconds < 1)
                return Refuse($"--resync-period must be at least 1 second, not {seconds}");

            LeaseOptions leases;
            if (kube)
            {
                var config = parsed.GetValue(kubeconfig) ?? Environment.GetEnvironmentVariable("KUBECONFIG");
                var name = parsed.GetValue(nodeName) ?? Environment.GetEnvironmentVariable("NODE_NAME");
                if (string.IsNullOrEmpty(config))
                    return Refuse("--kube-subnet-mgr needs --kubeconfig PATH (or KUBECONFIG in the environment)");
                if (string.IsNullOrEmpty(name))
                    return Refuse("--kube-subnet-mgr needs --node-name NAME (or NODE_NAME in the environment)");
                leases = new KubeLeaseOptions(config, new KubeSubnetManagerOptions
                {
                    NodeName = name,
                    NetConfPath = parsed.GetValue(netConf)!,
                    AnnotationPrefix = parsed.GetValue(annotationPrefix)!,
                });
            }
            else
            {
                leases = new EtcdLeaseOptions(parsed.GetValue(endpoints)!)
                {
                    Subnets = new EtcdSubnetManagerOptions
                    {
                        Prefix = parsed.GetValue(prefix)!,
                        LeaseTtl = TimeSpan.FromSeconds(parsed.GetValue(leaseTtl)),
                    },
                };
            }
            return new AgentOptions
            {
                Leases = leases,
                Interface = parsed.GetValue(iface)!,
                PublicIp = address,
                SubnetFile = parsed.GetValue(subnetFile)!,
                IpMasq = parsed.GetValue(ipMasq),
                ResyncPeriod = TimeSpan.FromSeconds(seconds),
                Kubelet = !parsed.GetValue(kubelet) ? null : new KubeletSettings
                {
                    RuntimeEndpoint = parsed.GetValue(runtimeEndpoint)!,
                    RootDirectory = parsed.GetValue(rootDir)!,
                    PodLogDirectory = parsed.GetValue(podLogDir)!,
                    CniConfDirectory = parsed.GetValue(cniConfDir)!,
                    CniIpamDataDirectory = parsed.GetValue(cniIpamDir),
                    CgroupParent = parsed.GetValue(cgroupParent)!,
                    ClusterDns = dnsIp,
                    ClusterDomain = parsed.GetValue(clusterDomain)!,
                    ServerPort = parsed.GetValue(kubeletPort),
                    TlsCertFile = parsed.GetValue(tlsCert),
                    TlsKeyFile = parsed.GetValue(tlsKey),
                    ClientCaFile = parsed.GetValue(clientCa),
                },
            };
        }

        static AgentOptions? Refuse(string message)
        {
            Fail(message);
            return null;
        }

        static int Fail(string message)
        {
            Console.Error.WriteLine($"kybernet agent: {message}");
            return 1;
        }
    }
}
