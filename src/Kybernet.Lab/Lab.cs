using System.Diagnostics;
using Kybernet.Linux;
using Kybernet.Linux.Namespaces;
using Kybernet.Linux.Netlink;

namespace Kybernet.Lab;

/// <summary>
/// A multi-machine lab on one Linux box: every machine is a network namespace plugged by a veth pair
/// into a bridge that lives in the lab's own underlay namespace. Nothing is added to the host's
/// namespace: no address, route, rule or link, and `Down` removes every namespace `Up` made and
/// stops every process it started (the etcd members in the control plane).
/// </summary>
public sealed class Lab(LabStateStore store)
{
    public LabStateStore Store { get; } = store;

    public LabEtcd Etcd { get; } = new(store.DataDirectory);

    /// <summary>Builds the planned lab. On any failure everything made so far is removed again.</summary>
    public LabTopology Up(LabTopology plan)
    {
        if (Store.Exists)
            throw new LabException($"lab {plan.Name} is already up (state in {Store.StatePath}); run `kybernet lab down --name {plan.Name}` first");
        var taken = plan.AllNamespaces.Where(NetworkNamespace.Exists).ToList();
        if (taken.Count > 0)
            throw new LabException($"namespaces of lab {plan.Name} already exist: {string.Join(", ", taken)}; run `kybernet lab down --name {plan.Name}`");

        // State first: if this process dies half-way, `lab down` still knows what to remove.
        Store.Save(plan);
        try
        {
            BuildUnderlay(plan);
            foreach (var machine in plan.Machines)
                BuildMachine(plan, machine);
            plan = StartEtcd(plan);
            return plan;
        }
        catch (Exception e)
        {
            Etcd.Stop(plan.Etcd);
            RemoveNamespaces(plan);
            Store.Delete();
            throw new LabException($"lab {plan.Name} could not be brought up, and was removed again: {e.Message}", e);
        }
    }

    /// <summary>Removes every namespace of the lab (links inside go with them) and its state. Safe to repeat.</summary>
    public void Down(string name)
    {
        var topology = Store.Load();
        // Processes first (also any the state does not list), then the namespaces they ran in.
        Etcd.Stop(topology?.Etcd ?? []);
        if (topology is not null)
            RemoveNamespaces(topology);
        // Also sweep namespaces of this lab that the state does not list (an interrupted `up`).
        foreach (var ns in NetworkNamespace.List().Where(n => n.StartsWith($"{LabTopology.NamespacePrefix}{name}-", StringComparison.Ordinal)))
            NetworkNamespace.Delete(ns);
        if (topology is not null)
            Store.Delete();
    }

    /// <summary>The lab as saved by `up`; a clear error if it is not up.</summary>
    public LabTopology Require(string name) =>
        Store.Load() ?? throw new LabException($"lab {name} is not up (no {Store.StatePath}); start it with `kybernet lab up`");

    /// <summary>Reads each machine's namespace back from the kernel.</summary>
    public IReadOnlyList<MachineStatus> Status(LabTopology topology) =>
        topology.Machines.Select(machine =>
        {
            if (!NetworkNamespace.Exists(machine.Namespace))
                return new MachineStatus(machine, NamespacePresent: false, LinkUp: false, AddressPresent: false);
            using var ns = NetworkNamespace.Open(machine.Namespace);
            using var nl = RtNetlink.Open(ns);
            var eth0 = nl.Links.Find(LabTopology.MachineInterface);
            bool hasAddress = eth0 is not null && nl.Addresses.List(LabTopology.MachineInterface).Any(a => a.Address == machine.Address);
            return new MachineStatus(machine, true, eth0?.IsUp == true && eth0.HasCarrier, hasAddress);
        }).ToList();

    /// <summary>Each etcd member: is its process alive, and does /health answer from inside the control plane?</summary>
    public IReadOnlyList<EtcdMemberStatus> EtcdStatus(LabTopology topology) =>
        topology.Etcd.Select(m => new EtcdMemberStatus(m, Etcd.IsRunning(m), LabEtcd.Healthy(topology.ControlPlane, m))).ToList();

    /// <summary>Starts a command inside a machine's namespace, with the caller's stdio unless redirected.</summary>
    public static Process Start(LabMachine machine, ProcessStartInfo startInfo)
    {
        using var ns = NetworkNamespace.Open(machine.Namespace);
        return ns.StartProcess(startInfo);
    }

    /// <summary>Starts every member, saving each pid as soon as it is known, then waits for all to be healthy.</summary>
    private LabTopology StartEtcd(LabTopology plan)
    {
        var members = plan.Etcd.ToList();
        for (int i = 0; i < members.Count; i++)
        {
            members[i] = Etcd.Start(plan.ControlPlane, members[i], plan.Etcd, $"kyb-{plan.Name}");
            plan = plan with { Etcd = members.ToList() };
            Store.Save(plan);
        }
        Etcd.WaitHealthy(plan.ControlPlane, plan.Etcd);
        return plan;
    }

    private static void BuildUnderlay(LabTopology plan)
    {
        using var ns = NetworkNamespace.Create(plan.UnderlayNamespace);
        using var nl = RtNetlink.Open(ns);
        nl.Links.SetUp("lo");
        nl.Links.CreateBridge(LabTopology.UnderlayBridge);
        nl.Addresses.Add(LabTopology.UnderlayBridge, plan.Gateway);
        nl.Links.SetUp(LabTopology.UnderlayBridge);
    }

    /// <summary>A machine: its namespace, eth0 (born inside it) whose peer joins the underlay bridge, an address and a default route.</summary>
    private static void BuildMachine(LabTopology plan, LabMachine machine)
    {
        using var underlay = NetworkNamespace.Open(plan.UnderlayNamespace);
        using var underlayNl = RtNetlink.Open(underlay);
        using var ns = NetworkNamespace.Create(machine.Namespace);
        using var nl = RtNetlink.Open(ns);

        underlayNl.Links.CreateVeth(new VethSpec(machine.HostVeth, LabTopology.MachineInterface) { PeerNamespace = ns });
        underlayNl.Links.SetMaster(machine.HostVeth, LabTopology.UnderlayBridge);
        underlayNl.Links.SetUp(machine.HostVeth);

        nl.Links.SetUp("lo");
        nl.Addresses.Add(LabTopology.MachineInterface, machine.Address);
        nl.Links.SetUp(LabTopology.MachineInterface);
        nl.Routes.Add(Route.Default(plan.Gateway.Address));
    }

    private static void RemoveNamespaces(LabTopology topology)
    {
        var failures = new List<string>();
        foreach (var name in topology.AllNamespaces)
        {
            try { NetworkNamespace.Delete(name); }
            catch (LinuxException e) { failures.Add(e.Message); }
        }
        if (failures.Count > 0)
            throw new LabException($"could not remove every namespace of lab {topology.Name}: {string.Join("; ", failures)}");
    }
}

/// <summary>What the kernel says about one machine right now.</summary>
public sealed record MachineStatus(LabMachine Machine, bool NamespacePresent, bool LinkUp, bool AddressPresent)
{
    public bool Healthy => NamespacePresent && LinkUp && AddressPresent;
}

/// <summary>One etcd member right now: its process, and its own /health answer.</summary>
public sealed record EtcdMemberStatus(EtcdMember Member, bool Running, bool Healthy);
