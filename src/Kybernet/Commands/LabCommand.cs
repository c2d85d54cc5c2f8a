using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using Kybernet.Lab;
using Kybernet.Linux.Namespaces;
using Kybernet.Linux.Processes;
using Kybernet.Overlay.Agent;

namespace Kybernet.Cli.Commands;

/// <summary>`kybernet lab up|status|exec|pod|agent|down`: a multi-node cluster's machines on one box.</summary>
internal static class LabCommand
{
    private static readonly Option<string> Name = new("--name")
    {
        Description = "Lab name; its namespaces are kyb-NAME-*",
        DefaultValueFactory = _ => "lab",
        Recursive = true,
    };

    private static readonly Option<string?> DataDir = new("--data-dir")
    {
        Description = "Where the lab keeps its state (default /var/lib/kybernet/labs/NAME)",
        Recursive = true,
    };

    public static Command Create()
    {
        var lab = new Command("lab", "A multi-node cluster on this machine, each node a network namespace") { Name, DataDir };
        lab.Subcommands.Add(Up());
        lab.Subcommands.Add(Status());
        lab.Subcommands.Add(Exec());
        lab.Subcommands.Add(Kubectl());
        lab.Subcommands.Add(Pod());
        lab.Subcommands.Add(Net());
        lab.Subcommands.Add(Agent());
        lab.Subcommands.Add(Backend());
        lab.Subcommands.Add(Down());
        return lab;
    }

    private static Command Up()
    {
        var nodes = new Option<int>("--nodes") { Description = "Number of worker nodes", DefaultValueFactory = _ => 3 };
        var underlay = new Option<string?>("--underlay") { Description = $"Underlay IPv4 network (default {LabTopology.DefaultUnderlay})" };
        var etcdMembers = new Option<int>("--etcd-members")
        {
            Description = $"etcd members run in the control plane, one cluster (0 = none, at most {EtcdMember.MaxMembers})",
            DefaultValueFactory = _ => 1,
        };
        var backend = new Option<string>("--backend")
        {
            Description = $"Overlay backend the nodes' agents run: {string.Join(", ", LabTopology.Backends)}, or none (no agents)",
            DefaultValueFactory = _ => "vxlan",
        };
        backend.AcceptOnlyFromAmong([.. LabTopology.Backends, "none"]);
        var leaseTtl = new Option<int>("--lease-ttl")
        {
            Description = "Seconds a node's subnet lease lives unless its agent renews it",
            DefaultValueFactory = _ => (int)LabTopology.DefaultLeaseTtl.TotalSeconds,
        };
        var resyncPeriod = new Option<int>("--resync-period")
        {
            Description = "Seconds between the agents' resyncs, which restore what went missing on their node (routes, devices, the masquerade table)",
            DefaultValueFactory = _ => (int)OverlayAgentOptions.DefaultResyncPeriod.TotalSeconds,
        };
        var subnetManager = new Option<string>("--subnet-manager")
        {
            Description = "Where the agents keep their subnet leases: etcd (classic flannel) or kube (kybernet server in cp, leases on the Node objects)",
            DefaultValueFactory = _ => "etcd",
        };
        subnetManager.AcceptOnlyFromAmong([.. LabTopology.SubnetManagers]);
        var noIpMasq = new Option<bool>("--no-ip-masq")
        {
            Description = "Agents do not masquerade traffic leaving the pod network (no conntrack on the nodes' pod traffic)",
        };
        var command = new Command("up", "Create the lab's machines, wire them to the underlay, start etcd in the control plane and an overlay agent on every node")
        {
            nodes, underlay, etcdMembers, backend, leaseTtl, resyncPeriod, subnetManager, noIpMasq,
        };
        command.SetAction(parsed => CommandErrors.Run(() =>
        {
            CommandErrors.RequireRoot();
            var name = parsed.GetValue(Name)!;
            var network = parsed.GetValue(underlay) is { } u ? IPNetwork.Parse(u) : (IPNetwork?)null;
            var overlay = parsed.GetValue(backend) is "none" ? null : parsed.GetValue(backend);
            var plan = LabTopology.Plan(name, parsed.GetValue(nodes), network, parsed.GetValue(etcdMembers), overlay, TimeSpan.FromSeconds(parsed.GetValue(leaseTtl)), parsed.GetValue(subnetManager)!,
                    TimeSpan.FromSeconds(parsed.GetValue(resyncPeriod)))
                with
            { IpMasq = !parsed.GetValue(noIpMasq) };
            var stopwatch = Stopwatch.StartNew();
            var lab = Open(parsed);
            var topology = lab.Up(plan);
            Console.WriteLine($"lab {topology.Name} is up in {stopwatch.ElapsedMilliseconds} ms: {topology.Nodes.Count()} nodes, control plane and external client");
            PrintMachines(topology);
            if (topology.Etcd.Count > 0)
            {
                Console.WriteLine();
                PrintEtcd(lab, topology, lab.EtcdStatus(topology));
                Console.WriteLine($"\netcd endpoints: {string.Join(',', topology.Etcd.Select(m => m.ClientUrl))}");
            }
            PrintServer(lab, topology);
            if (topology.Backend is not null)
            {
                Console.WriteLine($"\noverlay {topology.Backend}, pod network {topology.PodNetwork}:");
                PrintAgents(lab, lab.AgentStatus(topology));
                var second = topology.Nodes.Skip(1).FirstOrDefault() ?? topology.Nodes.First();
                Console.WriteLine($"\ntry: kybernet lab pod add node-1 a && kybernet lab pod add {second.Name} b && kybernet lab pod exec a -- ping -c1 <b's address>");
            }
            else
            {
                Console.WriteLine($"\ntry: kybernet lab exec node-1 -- ping -c1 {(topology.Machines.FirstOrDefault(m => m.Name == "node-2") ?? topology.Machines.First(m => m.Role == MachineRole.ControlPlane)).Address.Address}");
            }
            return 0;
        }));
        return command;
    }

    private static Command Status()
    {
        var command = new Command("status", "Show the lab's machines as the kernel sees them");
        command.SetAction(parsed => CommandErrors.Run(() =>
        {
            var name = parsed.GetValue(Name)!;
            var lab = Open(parsed);
            var topology = lab.Require(name);
            var statuses = lab.Status(topology);
            Console.WriteLine($"lab {topology.Name}: underlay {topology.Underlay}, bridge {LabTopology.UnderlayBridge} ({topology.Gateway}) in netns {topology.UnderlayNamespace}");
            PrintTable(
                ["MACHINE", "ROLE", "NETNS", "ADDRESS", "STATE"],
                statuses.Select(s => new[]
                {
                    s.Machine.Name, RoleName(s.Machine.Role), s.Machine.Namespace, s.Machine.Address.ToString(),
                    !s.NamespacePresent ? "netns missing" : !s.LinkUp ? "eth0 down" : !s.AddressPresent ? "no address" : "ready",
                }));
            var etcd = lab.EtcdStatus(topology);
            if (etcd.Count > 0)
            {
                Console.WriteLine();
                PrintEtcd(lab, topology, etcd);
            }
            PrintServer(lab, topology);
            var agents = lab.AgentStatus(topology);
            if (agents.Count > 0)
            {
                Console.WriteLine($"\noverlay {topology.Backend}, pod network {topology.PodNetwork}:");
                PrintAgents(lab, agents);
            }
            if (topology.Pods.Count > 0)
            {
                Console.WriteLine();
                PrintPods(topology);
            }
            return statuses.All(s => s.Healthy) && etcd.All(e => e.Running && e.Healthy) && agents.All(a => a.Running && a.Subnet is not null) ? 0 : 1;
        }));
        return command;
    }

    private static Command Exec()
    {
        var machine = new Argument<string>("machine") { Description = "node-1..node-N, cp or external" };
        var argv = new Argument<string[]>("command") { Description = "The command and its arguments (after --)", Arity = ArgumentArity.OneOrMore };
        var command = new Command("exec", "Run a command inside a machine's network namespace") { machine, argv };
        command.SetAction(parsed => CommandErrors.Run(() =>
        {
            CommandErrors.RequireRoot();
            var name = parsed.GetValue(Name)!;
            var target = Open(parsed).Require(name).Machine(parsed.GetValue(machine)!);
            return RunInside(target.Namespace, parsed.GetValue(argv)!);
        }));
        return command;
    }

    private static Command Kubectl()
    {
        var argv = new Argument<string[]>("args") { Description = "kubectl's arguments (after --, e.g. -- get pods -o wide)", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("kubectl", "Run the real kubectl against the lab's API server (kube mode), from the control plane, as the admin") { argv };
        command.SetAction(parsed => CommandErrors.Run(() =>
        {
            CommandErrors.RequireRoot();
            var cluster = Open(parsed);
            var topology = cluster.Require(parsed.GetValue(Name)!);
            if (topology.SubnetManager != "kube")
                throw new LabException($"lab {topology.Name} runs no API server: bring it up with --subnet-manager kube");
            return RunInside(topology.ControlPlane.Namespace, ["/usr/bin/kubectl", "--kubeconfig", cluster.Server.KubeconfigPath, .. parsed.GetValue(argv) ?? []]);
        }));
        return command;
    }

    private static Command Pod()
    {
        var pod = new Command("pod", "Pods by hand (until the kubelet exists): a namespace attached to a node by its CNI plugins");

        var node = new Argument<string>("node") { Description = "node-1..node-N" };
        var addName = new Argument<string>("name") { Description = "The pod's name (its namespace is kyb-LAB-pod-NAME)" };
        var add = new Command("add", "Create a pod on a node: its namespace, and eth0 with an address from the node's subnet") { node, addName };
        add.SetAction(parsed => CommandErrors.Run(() =>
        {
            CommandErrors.RequireRoot();
            var created = Open(parsed).AddPod(parsed.GetValue(Name)!, parsed.GetValue(node)!, parsed.GetValue(addName)!, HoldInterrupts);
            Console.WriteLine($"pod {created.Name} on {created.Node}: {created.Address} (netns {created.Namespace})");
            return 0;
        }));

        var execName = new Argument<string>("name") { Description = "The pod" };
        var argv = new Argument<string[]>("command") { Description = "The command and its arguments (after --)", Arity = ArgumentArity.OneOrMore };
        var exec = new Command("exec", "Run a command inside a pod's network namespace") { execName, argv };
        exec.SetAction(parsed => CommandErrors.Run(() =>
        {
            CommandErrors.RequireRoot();
            var target = Open(parsed).Require(parsed.GetValue(Name)!).Pod(parsed.GetValue(execName)!);
            return RunInside(target.Namespace, parsed.GetValue(argv)!);
        }));

        var delName = new Argument<string>("name") { Description = "The pod" };
        var del = new Command("del", "Detach a pod (CNI DEL) and remove its namespace") { delName };
        del.SetAction(parsed => CommandErrors.Run(() =>
        {
            CommandErrors.RequireRoot();
            Open(parsed).DeletePod(parsed.GetValue(Name)!, parsed.GetValue(delName)!, HoldInterrupts);
            Console.WriteLine($"pod {parsed.GetValue(delName)} deleted");
            return 0;
        }));

        var list = new Command("list", "List the lab's pods");
        list.SetAction(parsed => CommandErrors.Run(() =>
        {
            PrintPods(Open(parsed).Require(parsed.GetValue(Name)!));
            return 0;
        }));

        pod.Subcommands.Add(add);
        pod.Subcommands.Add(exec);
        pod.Subcommands.Add(del);
        pod.Subcommands.Add(list);
        return pod;
    }

    /// <summary>`lab net ls NODE`, `lab net inspect NODE NAME`: `kybernet net` for a lab node (its namespace, its containerd).</summary>
    private static Command Net()
    {
        var lsNode = new Argument<string>("node") { Description = "node-1..node-N" };
        var ls = new Command("ls", "List a node's networks (bridge, host, none, container) and the pods on each") { lsNode };
        ls.SetAction((parsed, ct) => OnNode(parsed, parsed.GetValue(lsNode)!, (endpoint, ns) => NetCommand.ListAsync(endpoint, ns, ct)));
        var inspectNode = new Argument<string>("node") { Description = "node-1..node-N" };
        var name = new Argument<string>("name") { Description = "A network (bridge, host, none, container) or a pod (NAME or NAMESPACE/NAME)" };
        var inspect = new Command("inspect", "Show a network of a node, or a pod's sandbox, namespace, interfaces, veth peer, routes and containers") { inspectNode, name };
        inspect.SetAction((parsed, ct) => OnNode(parsed, parsed.GetValue(inspectNode)!, (endpoint, ns) => NetCommand.InspectAsync(endpoint, ns, parsed.GetValue(name)!, ct)));
        return new Command("net", "A node's pod networks, as its kernel and containerd have them (Docker's four modes)") { ls, inspect };
    }

    private static async Task<int> OnNode(ParseResult parsed, string node, Func<string, NetworkNamespace, Task<int>> action)
    {
        LabTopology topology;
        LabCluster lab;
        try
        {
            CommandErrors.RequireRoot();
            lab = Open(parsed);
            topology = lab.Require(parsed.GetValue(Name)!);
            if (topology.Nodes.All(n => n.Name != node))
                throw new LabException($"no node {node} in lab {topology.Name} (nodes: {string.Join(", ", topology.Nodes.Select(n => n.Name))})");
        }
        catch (Exception e) when (e is LabException or UnauthorizedAccessException or ArgumentException)
        {
            Console.Error.WriteLine($"kybernet: {e.Message}");
            return 1;
        }
        using var ns = NetworkNamespace.Open(topology.Machine(node).Namespace);
        return await action(lab.Containerd.Endpoint(topology, node), ns);
    }

    private static Command Agent()
    {
        var agent = new Command("agent", "Stop or start a node's overlay agent (a node leaving and rejoining)");
        var stopNode = new Argument<string>("node") { Description = "node-1..node-N" };
        var kill = new Option<bool>("--kill") { Description = "SIGKILL instead of SIGTERM (a crash rather than a stop)" };
        var stop = new Command("stop", "Stop the node's agent; its lease stays until its TTL") { stopNode, kill };
        stop.SetAction(parsed => CommandErrors.Run(() =>
        {
            CommandErrors.RequireRoot();
            Open(parsed).StopAgent(parsed.GetValue(Name)!, parsed.GetValue(stopNode)!, parsed.GetValue(kill));
            Console.WriteLine($"agent of {parsed.GetValue(stopNode)} stopped");
            return 0;
        }));
        var startNode = new Argument<string>("node") { Description = "node-1..node-N" };
        var start = new Command("start", "Start (or restart) the node's agent and wait until it holds its lease") { startNode };
        start.SetAction(parsed => CommandErrors.Run(() =>
        {
            CommandErrors.RequireRoot();
            var lab = Open(parsed);
            var topology = lab.StartAgent(parsed.GetValue(Name)!, parsed.GetValue(startNode)!);
            PrintAgents(lab, lab.AgentStatus(topology).Where(a => a.Agent.Node == parsed.GetValue(startNode)).ToList());
            return 0;
        }));
        agent.Subcommands.Add(stop);
        agent.Subcommands.Add(start);
        return agent;
    }

    private static Command Backend()
    {
        var backend = new Argument<string>("backend") { Description = string.Join(", ", LabTopology.Backends) };
        backend.AcceptOnlyFromAmong([.. LabTopology.Backends]);
        var command = new Command("backend", "Switch the overlay: put the backend into the network config and restart every agent (subnets stay)") { backend };
        command.SetAction(parsed => CommandErrors.Run(() =>
        {
            CommandErrors.RequireRoot();
            var lab = Open(parsed);
            var topology = lab.SwitchBackend(parsed.GetValue(Name)!, parsed.GetValue(backend)!);
            Console.WriteLine($"overlay {topology.Backend}, pod network {topology.PodNetwork}:");
            PrintAgents(lab, lab.AgentStatus(topology));
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// Ctrl-C and SIGTERM wait while a pod is attached or detached: cut off half-way, it would leave a namespace
    /// or an address behind (the plugins run in their own process group, so the terminal does not reach them).
    /// </summary>
    private static IDisposable HoldInterrupts()
    {
        var held = new CompositeDisposable();
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
            held.Add(PosixSignalRegistration.Create(signal, c =>
            {
                c.Cancel = true;
                Console.Error.WriteLine("kybernet: finishing the pod change first, so nothing is left half-made");
            }));
        return held;
    }

    private sealed class CompositeDisposable : List<IDisposable>, IDisposable
    {
        public void Dispose() => ForEach(d => d.Dispose());
    }

    /// <summary>Runs argv inside a namespace with the caller's terminal; Ctrl-C belongs to the child (same process group).</summary>
    private static int RunInside(string netns, string[] args)
    {
        var options = new ChildProcessOptions(args[0], args[1..])
        {
            Stdin = ChildStdio.Inherit,
            Stdout = ChildStdio.Inherit,
            Stderr = ChildStdio.Inherit,
        };
        using var ignoreInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => c.Cancel = true);
        using var child = LabCluster.Start(netns, options);
        return child.Wait(Timeout.InfiniteTimeSpan).ExitCode;
    }

    private static Command Down()
    {
        var command = new Command("down", "Stop the lab's processes and remove every namespace, link and file it made");
        command.SetAction(parsed => CommandErrors.Run(() =>
        {
            CommandErrors.RequireRoot();
            var name = parsed.GetValue(Name)!;
            LabTopology.ValidateName(name, existing: true);
            var strays = Open(parsed, existing: true).Down(name);
            foreach (var stray in strays)
                Console.Error.WriteLine($"warning: process {stray} was running in a lab namespace; the lab did not start it, so it was left running");
            Console.WriteLine($"lab {name} is down");
            return 0;
        }));
        return command;
    }

    private static LabCluster Open(ParseResult parsed, bool existing = false)
    {
        var name = parsed.GetValue(Name)!;
        LabTopology.ValidateName(name, existing);
        return new LabCluster(new LabStateStore(parsed.GetValue(DataDir) ?? LabStateStore.DefaultDirectory(name)), LabPrograms.FromCurrentProcess());
    }

    private static void PrintMachines(LabTopology topology) =>
        PrintTable(["MACHINE", "ROLE", "NETNS", "ADDRESS"],
            topology.Machines.Select(m => new[] { m.Name, RoleName(m.Role), m.Namespace, m.Address.ToString() }));

    private static void PrintEtcd(LabCluster lab, LabTopology topology, IReadOnlyList<EtcdMemberStatus> members) =>
        PrintTable(["ETCD", "MACHINE", "CLIENT", "PEER", "PID", "STATE", "LOG"],
            members.Select(s => new[]
            {
                s.Member.Name, topology.ControlPlane.Name, s.Member.ClientUrl, s.Member.PeerUrl, s.Member.Pid.ToString(),
                !s.Running ? "not running" : s.Healthy ? "healthy" : "unhealthy", lab.Etcd.LogPath(s.Member),
            }));

    /// <summary>kube mode: where the API server runs, and how to reach it from inside the lab.</summary>
    private static void PrintServer(LabCluster lab, LabTopology topology)
    {
        if (topology.SubnetManager != "kube")
            return;
        Console.WriteLine($"\nkybernet server in cp at {lab.Server.Url(topology)} (pid {topology.ServerPid}, {(lab.Server.IsRunning(topology.ServerPid) ? "running" : "not running")}), log {lab.Server.LogPath}");
        Console.WriteLine($"kubectl: kybernet lab exec cp -- kubectl --kubeconfig {lab.Server.KubeconfigPath} get nodes");
    }

    private static void PrintAgents(LabCluster lab, IReadOnlyList<AgentStatus> agents) =>
        PrintTable(["AGENT", "PID", "STATE", "SUBNET", "LOG"],
            agents.Select(a => new[]
            {
                a.Agent.Node, a.Agent.Pid.ToString(), a.Running ? "running" : "not running", a.Subnet?.ToString() ?? "-", lab.Agents.LogPath(a.Agent.Node),
            }));

    private static void PrintPods(LabTopology topology) =>
        PrintTable(["POD", "NODE", "ADDRESS", "NETNS"],
            topology.Pods.Select(p => new[] { p.Name, p.Node, p.Attached ? p.Address.ToString() : "(not attached)", p.Namespace }));

    private static string RoleName(MachineRole role) => role switch
    {
        MachineRole.ControlPlane => "control-plane",
        MachineRole.Node => "node",
        _ => "external",
    };

    private static void PrintTable(string[] headers, IEnumerable<string[]> rows)
    {
        var all = rows.Prepend(headers).ToList();
        var widths = headers.Select((_, i) => all.Max(r => r[i].Length)).ToArray();
        foreach (var row in all)
            Console.WriteLine(string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))));
    }
}
