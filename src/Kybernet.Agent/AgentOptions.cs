using System.Net;
using System.Security.Cryptography.X509Certificates;
using Kybernet.Kubelet;
using Kybernet.Linux.Namespaces;
using Kybernet.Overlay.Agent;
using Kybernet.Overlay.Subnets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Agent;

/// <summary>
/// Everything the node agent is told, with every default in one place: `kybernet agent`'s flags take their defaults from
/// here and from the component options this refers to (<see cref="EtcdSubnetManagerOptions"/>,
/// <see cref="KubeSubnetManagerOptions"/>, <see cref="OverlayAgentOptions"/>, <see cref="SubnetEnv"/>).
/// </summary>
public sealed record AgentOptions
{
    /// <summary>flannel's --iface default when a node has one obvious device, and every lab node's underlay device.</summary>
    public const string DefaultInterface = "eth0";

    /// <summary>Where the subnet leases live: <see cref="EtcdLeaseOptions"/> or <see cref="KubeLeaseOptions"/> (flannel's two subnet managers).</summary>
    public required LeaseOptions Leases { get; init; }

    /// <summary>The underlay device overlay traffic leaves by (flannel's --iface).</summary>
    public string Interface { get; init; } = DefaultInterface;

    /// <summary>The address other nodes send to (flannel's --public-ip); null: the first IPv4 address of <see cref="Interface"/>.</summary>
    public IPAddress? PublicIp { get; init; }

    /// <summary>Where subnet.env goes, for the CNI plugin (flannel's --subnet-file).</summary>
    public string SubnetFile { get; init; } = SubnetEnv.DefaultPath;

    /// <summary>Masquerade traffic leaving the pod network (flannel's --ip-masq).</summary>
    public bool IpMasq { get; init; }

    /// <summary>How often the overlay re-reads the kernel and restores what went missing (flannel checks its routes every 10 s).</summary>
    public TimeSpan ResyncPeriod { get; init; } = OverlayAgentOptions.DefaultResyncPeriod;

    /// <summary>
    /// The node's network namespace, not owned; null: the one the agent was started in, as flanneld runs in its machine's
    /// (and the lab starts each agent inside its node's namespace).
    /// </summary>
    public NetworkNamespace? Namespace { get; init; }

    /// <summary>
    /// The kubelet (kube mode only: it reaches the API with the same kubeconfig and node name), with the node's address
    /// filled in by the agent; null: no kubelet, the overlay alone (flanneld).
    /// </summary>
    public KubeletSettings? Kubelet { get; init; }

    /// <summary>Every component logs through a category of this factory ("agent", "overlay", "etcd", ...); nothing by default.</summary>
    public ILoggerFactory Loggers { get; init; } = NullLoggerFactory.Instance;
}

/// <summary>Where the subnet leases live: one of flannel's two subnet managers.</summary>
public abstract record LeaseOptions;

/// <summary>Classic flannel: the network config and the leases in etcd under a prefix (flannel's --etcd-endpoints).</summary>
/// <param name="Endpoints">etcd client URLs, http://HOST:PORT[,...].</param>
public sealed record EtcdLeaseOptions(string Endpoints) : LeaseOptions
{
    /// <summary>The key prefix and the lease TTL.</summary>
    public EtcdSubnetManagerOptions Subnets { get; init; } = new();
}

/// <summary>flannel's --kube-subnet-mgr: the lease is this node's Node object (its podCIDR and annotations), through the API.</summary>
/// <param name="Kubeconfig">The kubeconfig to reach the API with.</param>
/// <param name="Subnets">The node's name, the network config file and the annotation prefix.</param>
public sealed record KubeLeaseOptions(string Kubeconfig, KubeSubnetManagerOptions Subnets) : LeaseOptions;

/// <summary>The kubelet's options that the command line gives; the node's name and address come from the agent.</summary>
public sealed record KubeletSettings
{
    public string RuntimeEndpoint { get; init; } = "unix:///run/containerd/containerd.sock";
    public string RootDirectory { get; init; } = KubeletOptions.DefaultRootDirectory;
    public string PodLogDirectory { get; init; } = KubeletOptions.DefaultPodLogDirectory;
    public string CniConfDirectory { get; init; } = KubeletOptions.DefaultCniConfDirectory;
    public string? CniIpamDataDirectory { get; init; }
    public string CgroupParent { get; init; } = KubeletOptions.DefaultCgroupParent;
    public IPAddress ClusterDns { get; init; } = IPAddress.Parse("10.96.0.10");
    public string ClusterDomain { get; init; } = "cluster.local";
    public int ServerPort { get; init; } = KubeletOptions.DefaultServerPort;
    public string? TlsCertFile { get; init; }
    public string? TlsKeyFile { get; init; }

    /// <summary>The CA whose client certificates the kubelet API accepts; null: the one the kubeconfig trusts.</summary>
    public string? ClientCaFile { get; init; }

    /// <param name="kubeconfigCas">The kubeconfig's CA certificates, the client CA when no file is given.</param>
    public KubeletOptions For(string nodeName, IPAddress nodeIp, string subnetFile, X509Certificate2Collection kubeconfigCas) => new()
    {
        NodeName = nodeName,
        NodeIp = nodeIp,
        RuntimeEndpoint = RuntimeEndpoint,
        RootDirectory = RootDirectory,
        PodLogDirectory = PodLogDirectory,
        CniConfDirectory = CniConfDirectory,
        CniIpamDataDirectory = CniIpamDataDirectory,
        SubnetFile = subnetFile,
        CgroupParent = CgroupParent,
        ClusterDns = ClusterDns,
        ClusterDomain = ClusterDomain,
        ServerPort = ServerPort,
        TlsCertFile = TlsCertFile,
        TlsKeyFile = TlsKeyFile,
        ClientCas = ClientCaFile is null ? kubeconfigCas : LoadCas(ClientCaFile),
    };

    private static X509Certificate2Collection LoadCas(string file)
    {
        var cas = new X509Certificate2Collection();
        cas.ImportFromPemFile(file);
        return cas.Count > 0 ? cas : throw new AgentConfigurationException($"--client-ca-file {file} holds no certificate");
    }
}
