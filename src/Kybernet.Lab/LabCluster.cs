using Kybernet.Linux;
using Kybernet.Linux.Namespaces;
using Kybernet.Linux.Netlink;
using Kybernet.Linux.Processes;

namespace Kybernet.Lab;

/// <summary>
/// A multi-machine lab on one Linux box: every machine is a network namespace plugged by a veth pair
/// into a bridge that lives in the lab's own underlay namespace. Nothing is added to the host's
/// namespace: no address, route, rule or link, and `Down` removes every namespace `Up` made and
/// stops every process it started (the etcd members in the control plane, the nodes' agents).
/// <paramref name="programs"/> is needed only for a lab with an overlay (agents and CNI plugins).
/// </summary>
public sealed class LabCluster(LabStateStore store, LabPrograms? programs = null)
{
    public LabStateStore Store { get; } = store;

    public LabEtcd Etcd { get; } = new(store.DataDirectory);

    public LabAgents Agents { get; } = new(store.DataDirectory);

    public LabPods Pods => _pods ??= new(Store.DataDirectory, Agents);

    public LabServer Server { get; } = new(store.DataDirectory);

    /// <summary>Each kube-mode node's containerd (its kubelet's runtime).</summary>
    public LabContainerd Containerd => _containerd ??= new(Store.DataDirectory, Agents);

    private LabContainerd? _containerd;

    private LabPods? _pods;

    /// <summary>Builds the planned lab. On any failure everything made so far is removed again.</summary>
    public LabTopology Up(LabTopology plan)
    {
        using var guard = Store.Lock();
        if (Store.Exists)
            throw new LabException($"lab {plan.Name} is already up (state in {Store.StatePath}); run `kybernet lab down --name {plan.Name}` first");
        var taken = plan.AllNamespaces.Where(NetworkNamespace.Exists).ToList();
        if (taken.Count > 0)
        {
            Store.Delete(); // only the lock file and directory this call made: there is no state
            throw new LabException($"namespaces of lab {plan.Name} already exist: {string.Join(", ", taken)}; run `kybernet lab down --name {plan.Name}`");
        }

        // State first: if this process dies half-way, `lab down` still knows what to remove.
        Store.Save(plan);
        try
        {
            BuildUnderlay(plan);
            foreach (var machine in plan.Machines)
                BuildMachine(plan, machine);
            plan = StartEtcd(plan);
            if (plan.Backend is not null)
                plan = StartOverlay(plan);
            return plan;
        }
        catch (Exception e)
        {
            StopProcesses(plan);
            RemoveNamespaces(plan);
            Store.Delete();
            throw new LabException($"lab {plan.Name} could not be brought up, and was removed again: {e.Message}", e);
        }
    }

    /// <summary>
    /// Removes every namespace of the lab (links inside go with them) and its state. Safe to repeat. Returns
    /// the processes that were still running inside the lab's namespaces although the lab did not start them
    /// (`lab exec ... &amp;`, say): they are not ours to end, so they are reported, and go on in a namespace
    /// nobody can enter any more.
    /// </summary>
    public IReadOnlyList<string> Down(string name)
    {
        using var guard = Directory.Exists(Store.DataDirectory) ? Store.Lock() : null;
        var topology = Store.Load();
        // Processes first (also any the state does not list), then the namespaces they ran in.
        StopProcesses(topology);
        var namespaces = NetworkNamespace.List().Where(n => n.StartsWith($"{LabTopology.NamespacePrefix}{name}-", StringComparison.Ordinal)).ToList();
        var strays = LabProcesses.InNamespaces(namespaces);
        if (topology is not null)
            RemoveNamespaces(topology);
        // Also sweep namespaces of this lab that the state does not list (an interrupted `up`).
        foreach (var ns in NetworkNamespace.List().Where(namespaces.Contains))
            NetworkNamespace.Delete(ns);
        if (guard is not null)
            Store.Delete();
        return strays;
    }

    /// <summary>
    /// Stops every process of the lab (those <paramref name="topology"/> lists, and any other whose command line
    /// is this lab's) and removes the files they used. Agents and the server before etcd, so they do not spend
    /// their last moments failing to reach it.
    /// </summary>
    private void StopProcesses(LabTopology? topology)
    {
        Agents.StopAll(topology?.Agents ?? []);
        // After the kubelets, so none starts a pod meanwhile; each leaves no shim, container, mount or cgroup. A node
        // whose cleanup fails does not keep the others (or the rest of the lab) from being stopped: reported at the end.
        var failures = new List<string>();
        foreach (var agent in topology?.Agents ?? [])
        {
            if (topology!.SubnetManager != "kube")
                continue;
            try
            {
                Containerd.Stop(topology, agent.Node, agent.ContainerdPid);
            }
            catch (LabException e)
            {
                failures.Add(e.Message);
            }
        }
        if (topology?.SubnetManager == "kube" && failures.Count == 0)
            failures.AddRange(LabContainerd.RemoveLabCgroup(topology));
        if (failures.Count == 0)
        {
            try
            {
                Agents.RemoveFiles(); // not over what a containerd may still have mounted there
            }
            catch (LabException e)
            {
                failures.Add(e.Message);
            }
        }
        Containerd.RemoveImages();
        Server.Stop(topology?.ServerPid ?? 0);
        Etcd.Stop(topology?.Etcd ?? []);
        LabNetworkConfig.RemoveNetConf(Store.DataDirectory);
        Pods.RemovePlugins();
        RemovePrograms();
        if (failures.Count > 0)
            throw new LabException(string.Join("; ", failures));
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

    /// <summary>Each node's agent: is it running, and which subnet did it write into subnet.env?</summary>
    public IReadOnlyList<AgentStatus> AgentStatus(LabTopology topology) =>
        topology.Agents.Select(a => new AgentStatus(a, Agents.IsRunning(a), Agents.Env(a.Node)?.Subnet)).ToList();

    /// <summary>Stops a node's agent (SIGTERM keeps its lease, as flanneld does; <paramref name="kill"/> sends SIGKILL).</summary>
    public LabTopology StopAgent(string labName, string node, bool kill = false) => Update(labName, topology =>
    {
        var agent = RequireAgent(topology, node);
        Agents.Stop([agent], kill);
        return topology with { Agents = topology.Agents.Select(a => a.Node == node ? a with { Pid = 0 } : a).ToList() };
    });

    /// <summary>Restarts a kube-mode node's containerd daemon alone; its pods keep running, its kubelet reconnects.</summary>
    public LabTopology RestartContainerd(string labName, string node) => Update(labName, topology =>
    {
        if (topology.SubnetManager != "kube")
            throw new LabException($"lab {topology.Name} runs no containerd: it was brought up without --subnet-manager kube");
        var agent = RequireAgent(topology, node);
        var pid = Containerd.Restart(topology, node, agent.ContainerdPid);
        return topology with { Agents = topology.Agents.Select(a => a.Node == node ? a with { ContainerdPid = pid } : a).ToList() };
    });

    /// <summary>Starts a node's agent (stopping a running one first) and waits until it has written its subnet.env.</summary>
    public LabTopology StartAgent(string labName, string node) => Update(labName, topology =>
    {
        var agent = RequireAgent(topology, node);
        Agents.Stop([agent]);
        var since = DateTime.UtcNow;
        var started = Agents.Start(topology, RequirePrograms(), agent);
        topology = topology with { Agents = topology.Agents.Select(a => a.Node == node ? started : a).ToList() };
        Store.Save(topology);
        Agents.WaitReady([started], since);
        return topology;
    });

    /// <summary>
    /// Switches the overlay: the new backend into etcd's network config, then every agent restarted (each
    /// removes what the old backend left on its node and sets up the new one, keeping its subnet). Pods keep
    /// their MTU: a pod made under a larger MTU than the new backend's should be made again.
    /// </summary>
    public LabTopology SwitchBackend(string labName, string backend)
    {
        if (!LabTopology.Backends.Contains(backend))
            throw new LabException($"unknown backend \"{backend}\": use {string.Join(", ", LabTopology.Backends)}");
        var topology = Update(labName, topology =>
        {
            if (topology.Backend is null)
                throw new LabException($"lab {topology.Name} runs no overlay (it was brought up with --backend none)");
            topology = topology with { Backend = backend };
            LabNetworkConfig.Apply(topology, Store.DataDirectory);
            return topology;
        });
        foreach (var agent in topology.Agents)
            topology = StartAgent(labName, agent.Node);
        return topology;
    }

    /// <summary>
    /// `lab pod add`: a pod namespace on <paramref name="node"/>, attached by the node's CNI conflist. The pod is
    /// recorded first, so if this is interrupted, `pod del` (or `down`) still finds what to clean up.
    /// <paramref name="whileChanging"/> is held from when the lab's lock is taken until the change is saved (the CLI
    /// holds Ctrl-C there; waiting for the lock stays interruptible).
    /// </summary>
    public LabPod AddPod(string labName, string node, string pod, Func<IDisposable>? whileChanging = null)
    {
        LabPod? added = null;
        Update(labName, topology =>
        {
            using var hold = whileChanging?.Invoke();
            var planned = Pods.Plan(topology, node, pod);
            Store.Save(topology with { Pods = topology.Pods.Append(planned).ToList() });
            try
            {
                added = Pods.Attach(topology, planned);
            }
            catch (Exception e)
            {
                // Undone: forget it. Not undone (the rollback DEL failed too): keep it, not attached, for `pod del`.
                if (e.InnerException is not Kybernet.Cni.Runtime.CniRollbackFailedException)
                    Store.Save(topology);
                throw;
            }
            return topology with { Pods = topology.Pods.Append(added).ToList() };
        });
        return added!;
    }

    /// <summary>`lab pod del`: detaches the pod (CNI DEL) and removes its namespace; a pod whose DEL failed stays listed, to try again.</summary>
    public void DeletePod(string labName, string pod, Func<IDisposable>? whileChanging = null) => Update(labName, topology =>
    {
        using var hold = whileChanging?.Invoke();
        Pods.Delete(topology, topology.Pod(pod));
        return topology with { Pods = topology.Pods.Where(p => p.Name != pod).ToList() };
    });

    /// <summary>Starts a command inside a lab namespace (a machine's or a pod's); the caller waits for it.</summary>
    public static ChildProcess Start(string netns, ChildProcessOptions options)
    {
        using var ns = NetworkNamespace.Open(netns);
        return ChildProcess.Start(options, inside: ns);
    }

    /// <summary>Runs a command inside a lab namespace to its end, killed after <paramref name="timeout"/>.</summary>
    public static ChildProcessResult Run(string netns, ChildProcessOptions options, TimeSpan timeout)
    {
        using var child = Start(netns, options);
        return child.Wait(timeout);
    }

    /// <summary>Load, change and save the state under the lab's lock, so concurrent commands (two `pod add`s) do not lose each other's changes.</summary>
    private LabTopology Update(string labName, Func<LabTopology, LabTopology> change)
    {
        Require(labName); // before locking, so a command on a lab that is not up does not make a lock file
        using var guard = Store.Lock();
        if (Store.Load() is not { } current)
        {
            Store.Delete(); // it went down while we waited: leave no lock file behind
            return Require(labName);
        }
        var topology = change(current);
        Store.Save(topology);
        return topology;
    }

    private static LabAgent RequireAgent(LabTopology topology, string node) =>
        topology.Agents.FirstOrDefault(a => a.Node == node)
        ?? throw new LabException(topology.Backend is null
            ? $"lab {topology.Name} runs no agents (it was brought up with --backend none)"
            : $"lab {topology.Name} has no agent on \"{node}\" (agents run on {string.Join(", ", topology.Agents.Select(a => a.Node))})");

    /// <summary>DATA_DIR/bin: the copy of the kybernet program the lab's agents run (when it asks for one).</summary>
    private string ProgramDirectory => Path.Combine(Store.DataDirectory, "bin");

    private LabPrograms RequirePrograms()
    {
        var given = programs ?? throw new LabException("this lab runs agents, and needs the kybernet binary's location (LabPrograms)");
        return given.CopyIntoLab ? given.InstallInto(ProgramDirectory) : given;
    }

    private void RemovePrograms()
    {
        if (Directory.Exists(ProgramDirectory))
            Directory.Delete(ProgramDirectory, recursive: true);
    }

    /// <summary>The overlay: the network config into etcd, the CNI plugins into the data directory, then one agent per node.</summary>
    private LabTopology StartOverlay(LabTopology plan)
    {
        var binaries = RequirePrograms();
        LabNetworkConfig.Apply(plan, Store.DataDirectory);
        if (plan.SubnetManager == "kube")
        {
            plan = plan with { ServerPid = Server.Start(plan, binaries) };
            Store.Save(plan);
            Server.RegisterNodes(plan);
        }
        Pods.InstallPlugins(binaries);
        var agents = plan.Agents.ToList();
        if (plan.SubnetManager == "kube")
        {
            // The kubelets' runtime first: a containerd per node, the built-in images in each.
            var images = Containerd.BuildImages(binaries);
            for (int i = 0; i < agents.Count; i++)
            {
                agents[i] = agents[i] with { ContainerdPid = Containerd.Start(plan, agents[i].Node) };
                plan = plan with { Agents = agents.ToList() };
                Store.Save(plan);
            }
            foreach (var agent in agents)
                Containerd.WaitReadyAndImport(plan, agent.Node, agent.ContainerdPid, images);
        }
        var since = DateTime.UtcNow;
        for (int i = 0; i < agents.Count; i++)
        {
            agents[i] = Agents.Start(plan, binaries, agents[i]);
            plan = plan with { Agents = agents.ToList() };
            Store.Save(plan);
        }
        Agents.WaitReady(plan.Agents, since);
        return plan;
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

/// <summary>One node's agent right now: its process, and the subnet in its subnet.env (null before it wrote one).</summary>
public sealed record AgentStatus(LabAgent Agent, bool Running, System.Net.IPNetwork? Subnet);

/// <summary>One etcd member right now: its process, and its own /health answer.</summary>
public sealed record EtcdMemberStatus(EtcdMember Member, bool Running, bool Healthy);
