using System.Net;
using System.Text.RegularExpressions;
using Kybernet.Linux.Netlink;
using Kybernet.Net;
using Kybernet.Overlay.Agent;
using Kybernet.Overlay.Backends;
using Kybernet.Overlay.Subnets;

namespace Kybernet.Lab;

/// <summary>
/// The lab's shape, computed purely from its name and node count: which namespaces exist, their
/// underlay addresses and the links joining them. Nothing here touches the kernel.
/// </summary>
public sealed partial record LabTopology
{
    /// <summary>Every lab namespace starts with this, so leftovers are easy to recognise.</summary>
    public const string NamespacePrefix = "kyb-";
    public const string UnderlayBridge = "underlay";
    public const string MachineInterface = "eth0";
    public const int MaxNodes = 100;

    /// <summary>The default underlay: private, and clear of the pod (10.244/16) and service (10.96/12) ranges.</summary>
    public static readonly IPNetwork DefaultUnderlay = IPNetwork.Parse("192.168.200.0/24");

    public static readonly IPNetwork DefaultPodNetwork = IPNetwork.Parse("10.244.0.0/16");

    /// <summary>flannel's own default (24 h): a node that dies keeps its subnet for a day.</summary>
    public static readonly TimeSpan DefaultLeaseTtl = EtcdSubnetManagerOptions.DefaultLeaseTtl;

    /// <summary>The subnet managers a lab can run (flannel's two).</summary>
    public static readonly IReadOnlyList<string> SubnetManagers = ["etcd", "kube"];

    /// <summary>The backends a lab can run: the agent's built-in ones (flannel's names), the default (vxlan) first.</summary>
    public static readonly IReadOnlyList<string> Backends = BackendRegistry.CreateDefault().Names;

    public required string Name { get; init; }
    public required IPNetwork Underlay { get; init; }
    public required IReadOnlyList<LabMachine> Machines { get; init; }

    /// <summary>The etcd members the control plane runs (none if empty); pids are filled in as they start.</summary>
    public IReadOnlyList<EtcdMember> Etcd { get; init; } = [];

    /// <summary>The overlay backend in the network config the agents read (vxlan, host-gw, udp); null runs no agents.</summary>
    public string? Backend { get; init; }

    /// <summary>
    /// Where the agents keep their leases: "etcd" (classic flannel: /coreos.com/network in the lab's etcd) or "kube"
    /// (flannel's --kube-subnet-mgr: `kybernet server` runs in cp, the nodes are Node objects, a lease is a node's
    /// podCIDR and annotations).
    /// </summary>
    public string SubnetManager { get; init; } = "etcd";

    /// <summary>The pid of `kybernet server` in cp (kube mode), 0 while none runs.</summary>
    public int ServerPid { get; init; }

    /// <summary>The pod network the overlay divides into one subnet per node.</summary>
    public IPNetwork PodNetwork { get; init; } = DefaultPodNetwork;

    /// <summary>How long a node's subnet lease lives without renewal (the agents renew it a third before it ends).</summary>
    public TimeSpan LeaseTtl { get; init; } = DefaultLeaseTtl;

    /// <summary>
    /// How often each agent re-reads its node's kernel and restores what went missing (`kybernet agent --resync-period`);
    /// the agent's own default unless `lab up --resync-period` says otherwise (tests use a short one).
    /// </summary>
    public TimeSpan ResyncPeriod { get; init; } = OverlayAgentOptions.DefaultResyncPeriod;

    /// <summary>
    /// Agents masquerade traffic leaving the pod network (flanneld's --ip-masq, on by default as in flannel's
    /// manifests). It brings conntrack onto every packet of the node, pod to pod too: measurable (docs/benchmarks.md).
    /// </summary>
    public bool IpMasq { get; init; } = true;

    /// <summary>One agent per node when <see cref="Backend"/> is set.</summary>
    public IReadOnlyList<LabAgent> Agents { get; init; } = [];

    public IReadOnlyList<LabPod> Pods { get; init; } = [];

    public LabMachine ControlPlane => Machines.First(m => m.Role == MachineRole.ControlPlane);

    /// <summary>The namespace holding the underlay bridge (the "switch" all machines plug into).</summary>
    public string UnderlayNamespace => $"{NamespacePrefix}{Name}-underlay";

    /// <summary>The bridge's own address: every machine's default gateway.</summary>
    public InterfaceAddress Gateway => At(1);

    public IEnumerable<LabMachine> Nodes => Machines.Where(m => m.Role == MachineRole.Node);

    /// <summary>Pods first: their veths' host ends live in the nodes, and go with the pods.</summary>
    public IEnumerable<string> AllNamespaces => Pods.Select(p => p.Namespace).Concat(Machines.Select(m => m.Namespace).Prepend(UnderlayNamespace));

    public LabPod Pod(string name) =>
        Pods.FirstOrDefault(p => p.Name == name)
        ?? throw new LabException(Pods.Count == 0
            ? $"lab {Name} has no pod \"{name}\" (it has none; add one with `kybernet lab pod add NODE NAME`)"
            : $"lab {Name} has no pod \"{name}\" (it has {string.Join(", ", Pods.Select(p => p.Name))})");

    /// <summary>A pod's namespace: kyb-LAB-pod-NAME.</summary>
    public string PodNamespace(string pod) => $"{NamespacePrefix}{Name}-pod-{pod}";

    public LabMachine Machine(string name) =>
        Machines.FirstOrDefault(m => m.Name == name)
        ?? throw new LabException($"lab {Name} has no machine \"{name}\" (it has {string.Join(", ", Machines.Select(m => m.Name))})");

    /// <summary>
    /// Machines: "cp" (.2), "external" (.3) and node-1..node-N (.11 upward) on the underlay, so a
    /// node's number reads in its address. <paramref name="etcdMembers"/> etcd members run on cp; with
    /// a <paramref name="backend"/>, every node runs an agent with that overlay (which needs etcd).
    /// </summary>
    public static LabTopology Plan(
        string name, int nodes, IPNetwork? underlay = null, int etcdMembers = 0, string? backend = null, TimeSpan? leaseTtl = null,
        string subnetManager = "etcd", TimeSpan? resyncPeriod = null)
    {
        if (!SubnetManagers.Contains(subnetManager))
            throw new LabException($"unknown subnet manager \"{subnetManager}\": use {string.Join(" or ", SubnetManagers)}");
        if (subnetManager == "kube" && backend is null)
            throw new LabException("the kube subnet manager serves the overlay's agents: give a --backend");
        if (backend is not null && !Backends.Contains(backend))
            throw new LabException($"unknown backend \"{backend}\": use {string.Join(", ", Backends)} (or none)");
        if (backend is not null && etcdMembers < 1)
            throw new LabException($"the {backend} overlay keeps its subnet leases in etcd: give --etcd-members 1 or more, or --backend none for a lab without an overlay");
        if (leaseTtl is { } ttl && ttl < TimeSpan.FromSeconds(3))
            throw new LabException($"--lease-ttl must be at least 3 seconds, not {ttl.TotalSeconds}");
        if (resyncPeriod is { } period && (period < TimeSpan.FromSeconds(1) || period.Ticks % TimeSpan.TicksPerSecond != 0))
            throw new LabException($"--resync-period must be a whole number of seconds, at least 1, not {period.TotalSeconds}");
        ValidateName(name);
        if (nodes < 1 || nodes > MaxNodes)
            throw new LabException($"--nodes must be between 1 and {MaxNodes}, not {nodes}");
        var network = underlay ?? DefaultUnderlay;
        if (network.BaseAddress.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || network.PrefixLength > 24)
            throw new LabException($"the underlay must be an IPv4 network of at least /24, not {network}");

        var topology = new LabTopology { Name = name, Underlay = network, Machines = [] };
        var machines = new List<LabMachine>
        {
            topology.NewMachine("cp", MachineRole.ControlPlane, 2),
            topology.NewMachine("external", MachineRole.External, 3),
        };
        for (int i = 1; i <= nodes; i++)
            machines.Add(topology.NewMachine($"node-{i}", MachineRole.Node, 10 + i));
        return topology with
        {
            Machines = machines,
            Etcd = EtcdMember.Plan(machines[0].Address.Address, etcdMembers),
            Backend = backend,
            SubnetManager = subnetManager,
            LeaseTtl = leaseTtl ?? DefaultLeaseTtl,
            ResyncPeriod = resyncPeriod ?? OverlayAgentOptions.DefaultResyncPeriod,
            Agents = backend is null ? [] : machines.Where(m => m.Role == MachineRole.Node).Select(m => new LabAgent(m.Name)).ToList(),
        };
    }

    /// <summary>
    /// Lab names become part of namespace and file names: keep them short and plain. <paramref name="existing"/>
    /// also accepts the '-' that labs made before it was refused may have, so they can still be taken down.
    /// </summary>
    public static void ValidateName(string name, bool existing = false)
    {
        if (existing && OldNamePattern().IsMatch(name))
            return;
        if (!NamePattern().IsMatch(name))
            throw new LabException($"invalid lab name \"{name}\": use 1-16 lower-case letters or digits, starting with a letter (no '-': it separates the lab's name from its machines' in namespace names)");
    }

    private LabMachine NewMachine(string machine, MachineRole role, int host) =>
        new(machine, role, $"{NamespacePrefix}{Name}-{machine}", At(host), $"u-{machine}");

    private InterfaceAddress At(int host) =>
        new(Ipv4Cidr.From(Underlay).AddressAt((ulong)host).ToIPAddress(), Underlay.PrefixLength);

    /// <summary>Pod names become part of a namespace name: a DNS label, at most 32 characters.</summary>
    public static void ValidatePodName(string name)
    {
        if (!PodNamePattern().IsMatch(name))
            throw new LabException($"invalid pod name \"{name}\": use 1-32 lower-case letters, digits or '-', starting with a letter and not ending with '-'");
    }

    [GeneratedRegex("^[a-z][a-z0-9]{0,15}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[a-z][a-z0-9-]{0,15}$")]
    private static partial Regex OldNamePattern();

    [GeneratedRegex("^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$")]
    private static partial Regex PodNamePattern();
}
