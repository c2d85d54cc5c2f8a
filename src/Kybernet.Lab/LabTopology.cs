using System.Net;
using System.Text.RegularExpressions;
using Kybernet.Linux.Netlink;

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

    public required string Name { get; init; }
    public required IPNetwork Underlay { get; init; }
    public required IReadOnlyList<LabMachine> Machines { get; init; }

    /// <summary>The etcd members the control plane runs (none if empty); pids are filled in as they start.</summary>
    public IReadOnlyList<EtcdMember> Etcd { get; init; } = [];

    public LabMachine ControlPlane => Machines.First(m => m.Role == MachineRole.ControlPlane);

    /// <summary>The namespace holding the underlay bridge (the "switch" all machines plug into).</summary>
    public string UnderlayNamespace => $"{NamespacePrefix}{Name}-underlay";

    /// <summary>The bridge's own address: every machine's default gateway.</summary>
    public InterfaceAddress Gateway => At(1);

    public IEnumerable<LabMachine> Nodes => Machines.Where(m => m.Role == MachineRole.Node);

    public IEnumerable<string> AllNamespaces => Machines.Select(m => m.Namespace).Prepend(UnderlayNamespace);

    public LabMachine Machine(string name) =>
        Machines.FirstOrDefault(m => m.Name == name)
        ?? throw new LabException($"lab {Name} has no machine \"{name}\" (it has {string.Join(", ", Machines.Select(m => m.Name))})");

    /// <summary>
    /// Machines: "cp" (.2), "external" (.3) and node-1..node-N (.11 upward) on the underlay, so a
    /// node's number reads in its address. <paramref name="etcdMembers"/> etcd members run on cp.
    /// </summary>
    public static LabTopology Plan(string name, int nodes, IPNetwork? underlay = null, int etcdMembers = 0)
    {
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
        return topology with { Machines = machines, Etcd = EtcdMember.Plan(machines[0].Address.Address, etcdMembers) };
    }

    /// <summary>Lab names become part of namespace and file names: keep them short and plain.</summary>
    public static void ValidateName(string name)
    {
        if (!NamePattern().IsMatch(name))
            throw new LabException($"invalid lab name \"{name}\": use 1-16 lower-case letters, digits or '-', starting with a letter");
    }

    private LabMachine NewMachine(string machine, MachineRole role, int host) =>
        new(machine, role, $"{NamespacePrefix}{Name}-{machine}", At(host), $"u-{machine}");

    private InterfaceAddress At(int host)
    {
        var bytes = Underlay.BaseAddress.GetAddressBytes();
        bytes[3] = (byte)host;
        return new InterfaceAddress(new IPAddress(bytes), Underlay.PrefixLength);
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{0,15}$")]
    private static partial Regex NamePattern();
}
