using System.Net;

namespace Kybernet.Kubelet;

/// <summary>Everything the kubelet is told, with its defaults (`kybernet agent --kubelet` flags take theirs from here).</summary>
public sealed record KubeletOptions
{
    public const string DefaultRootDirectory = "/var/lib/kybernet/kubelet";
    public const string DefaultPodLogDirectory = "/var/log/pods";
    public const string DefaultCniConfDirectory = "/etc/cni/net.d";
    public const string DefaultCgroupParent = "/kybernet";

    public required string NodeName { get; init; }

    /// <summary>The node's address (InternalIP): hostNetwork pods and status.hostIP have it.</summary>
    public required IPAddress NodeIp { get; init; }

    /// <summary>The runtime's CRI socket, unix:///PATH (upstream's --container-runtime-endpoint).</summary>
    public required string RuntimeEndpoint { get; init; }

    /// <summary>Pod directories (volumes, /etc/hosts) live under ROOT/pods/UID (upstream's --root-dir).</summary>
    public string RootDirectory { get; init; } = DefaultRootDirectory;

    /// <summary>Container logs, as the runtime writes them: DIR/NAMESPACE_NAME_UID/CONTAINER/N.log.</summary>
    public string PodLogDirectory { get; init; } = DefaultPodLogDirectory;

    /// <summary>Where the node's CNI conflist is written for the runtime (its conf_dir).</summary>
    public string CniConfDirectory { get; init; } = DefaultCniConfDirectory;

    /// <summary>host-local's reservations (its dataDir), kept per node.</summary>
    public string? CniIpamDataDirectory { get; init; }

    /// <summary>The overlay's subnet.env, whose subnet and MTU the conflist takes; null: no conflist is written.</summary>
    public string? SubnetFile { get; init; }

    /// <summary>Every pod's cgroup is made under this one (cgroupfs).</summary>
    public string CgroupParent { get; init; } = DefaultCgroupParent;

    /// <summary>The cluster DNS service's IP, the nameserver of ClusterFirst pods (upstream's --cluster-dns).</summary>
    public IPAddress ClusterDns { get; init; } = IPAddress.Parse("10.96.0.10");

    public string ClusterDomain { get; init; } = "cluster.local";

    /// <summary>The kubelet API's port on <see cref="NodeIp"/> (upstream's --port); 0: any free one.</summary>
    public int ServerPort { get; init; } = DefaultServerPort;

    public const int DefaultServerPort = 10250;

    /// <summary>
    /// The API's serving certificate and key, PEM (upstream's --tls-cert-file, --tls-private-key-file; `kybernet kubeconfig
    /// node --kubelet-address` makes them signed by the cluster CA). Not given: a self-signed one in ROOT/pki, as upstream.
    /// </summary>
    public string? TlsCertFile { get; init; }

    public string? TlsKeyFile { get; init; }

    /// <summary>The CAs whose client certificates the API accepts (upstream's --client-ca-file): the cluster CA.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2Collection ClientCas { get; init; } = [];
}
