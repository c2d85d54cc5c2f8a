using System.Globalization;
using k8s.Models;

namespace Kybernet.Kubelet.Node;

/// <summary>
/// The parts of a Node the kubelet owns, computed from its options and its machine: the default labels, and the status
/// (addresses, capacity and allocatable, nodeInfo, the kubelet's endpoint). Allocatable is capacity less upstream's
/// default hard eviction thresholds (memory.available 100Mi, nodefs.available 10%), with no kube or system reservation.
/// </summary>
public static class NodeDescription
{
    public const string HostnameLabel = "kubernetes.io/hostname";
    public const string OsLabel = "kubernetes.io/os";
    public const string ArchLabel = "kubernetes.io/arch";
    public const string BetaOsLabel = "beta.kubernetes.io/os";
    public const string BetaArchLabel = "beta.kubernetes.io/arch";

    private const long MemoryEvictionThreshold = 100L * 1024 * 1024;

    public static Dictionary<string, string> Labels(NodeOptions options, MachineFacts facts) => new()
    {
        [HostnameLabel] = options.HostnameOrNodeName.ToLowerInvariant(),
        [OsLabel] = "linux",
        [ArchLabel] = facts.Architecture,
        [BetaOsLabel] = "linux",
        [BetaArchLabel] = facts.Architecture,
    };

    /// <summary>The status without conditions (those come from <see cref="NodeConditions"/>).</summary>
    public static V1NodeStatus Status(NodeOptions options, MachineFacts facts)
    {
        var cpu = facts.Cores.ToString(CultureInfo.InvariantCulture);
        var pods = options.MaxPods.ToString(CultureInfo.InvariantCulture);
        return new V1NodeStatus
        {
            Addresses =
            [
                new V1NodeAddress { Type = "InternalIP", Address = options.InternalIp.ToString() },
                new V1NodeAddress { Type = "Hostname", Address = options.HostnameOrNodeName },
            ],
            Capacity = new Dictionary<string, ResourceQuantity>
            {
                ["cpu"] = new(cpu),
                ["memory"] = new(Bytes(facts.MemoryBytes)),
                ["ephemeral-storage"] = new(Bytes(facts.EphemeralStorageBytes)),
                ["pods"] = new(pods),
            },
            Allocatable = new Dictionary<string, ResourceQuantity>
            {
                ["cpu"] = new(cpu),
                ["memory"] = new(Bytes(Math.Max(0, facts.MemoryBytes - MemoryEvictionThreshold))),
                ["ephemeral-storage"] = new(Bytes(facts.EphemeralStorageBytes - facts.EphemeralStorageBytes / 10)),
                ["pods"] = new(pods),
            },
            NodeInfo = new V1NodeSystemInfo
            {
                MachineID = facts.MachineId,
                SystemUUID = facts.SystemUuid,
                BootID = facts.BootId,
                KernelVersion = facts.KernelVersion,
                OsImage = facts.OsImage,
                OperatingSystem = "linux",
                Architecture = facts.Architecture,
                ContainerRuntimeVersion = options.ContainerRuntimeVersion,
                KubeletVersion = KubeletVersion.Value,
                // Deprecated upstream (1.31 stops setting it by default); kept as older kubelets wrote it, for tools that read it.
                KubeProxyVersion = KubeletVersion.Value,
            },
            DaemonEndpoints = new V1NodeDaemonEndpoints { KubeletEndpoint = new V1DaemonEndpoint { Port = options.KubeletPort } },
        };
    }

    /// <summary>Bytes as a Kubernetes quantity in upstream's binary form: "16331152Ki" when whole KiB, else the plain number.</summary>
    public static string Bytes(long bytes) =>
        bytes % 1024 == 0 && bytes != 0 ? (bytes / 1024).ToString(CultureInfo.InvariantCulture) + "Ki" : bytes.ToString(CultureInfo.InvariantCulture);
}
