using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using Kybernet.Lab;

namespace Kybernet.Cli.Commands;

/// <summary>`kybernet lab up|status|exec|down`: a multi-node cluster's machines on one box.</summary>
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
        var command = new Command("up", "Create the lab's machines, wire them to the underlay and start etcd in the control plane") { nodes, underlay, etcdMembers };
        command.SetAction(parsed => CommandErrors.Run(() =>
        {
            CommandErrors.RequireRoot();
            var name = parsed.GetValue(Name)!;
            var network = parsed.GetValue(underlay) is { } u ? IPNetwork.Parse(u) : (IPNetwork?)null;
            var plan = LabTopology.Plan(name, parsed.GetValue(nodes), network, parsed.GetValue(etcdMembers));
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
            Console.WriteLine($"\ntry: kybernet lab exec node-1 -- ping -c1 {(topology.Machines.FirstOrDefault(m => m.Name == "node-2") ?? topology.Machines.First(m => m.Role == MachineRole.ControlPlane)).Address.Address}");
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
            return statuses.All(s => s.Healthy) && etcd.All(e => e.Running && e.Healthy) ? 0 : 1;
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
            var args = parsed.GetValue(argv)!;
            var startInfo = new ProcessStartInfo(args[0]);
            foreach (var a in args.Skip(1))
                startInfo.ArgumentList.Add(a);
            // Ctrl-C belongs to the child (same terminal, same process group): just wait for it.
            using var ignoreInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => c.Cancel = true);
            using var process = Kybernet.Lab.Lab.Start(target, startInfo);
            process.WaitForExit();
            return process.ExitCode;
        }));
        return command;
    }

    private static Command Down()
    {
        var command = new Command("down", "Stop the lab's processes and remove every namespace, link and file it made");
        command.SetAction(parsed => CommandErrors.Run(() =>
        {
            CommandErrors.RequireRoot();
            var name = parsed.GetValue(Name)!;
            LabTopology.ValidateName(name);
            Open(parsed).Down(name);
            Console.WriteLine($"lab {name} is down");
            return 0;
        }));
        return command;
    }

    private static Kybernet.Lab.Lab Open(ParseResult parsed)
    {
        var name = parsed.GetValue(Name)!;
        LabTopology.ValidateName(name);
        return new Kybernet.Lab.Lab(new LabStateStore(parsed.GetValue(DataDir) ?? LabStateStore.DefaultDirectory(name)));
    }

    private static void PrintMachines(LabTopology topology) =>
        PrintTable(["MACHINE", "ROLE", "NETNS", "ADDRESS"],
            topology.Machines.Select(m => new[] { m.Name, RoleName(m.Role), m.Namespace, m.Address.ToString() }));

    private static void PrintEtcd(Kybernet.Lab.Lab lab, LabTopology topology, IReadOnlyList<EtcdMemberStatus> members) =>
        PrintTable(["ETCD", "MACHINE", "CLIENT", "PEER", "PID", "STATE", "LOG"],
            members.Select(s => new[]
            {
                s.Member.Name, topology.ControlPlane.Name, s.Member.ClientUrl, s.Member.PeerUrl, s.Member.Pid.ToString(),
                !s.Running ? "not running" : s.Healthy ? "healthy" : "unhealthy", lab.Etcd.LogPath(s.Member),
            }));

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
