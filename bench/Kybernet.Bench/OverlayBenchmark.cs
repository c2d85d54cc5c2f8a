using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Text.Json.Nodes;
using Kybernet.Lab;
using Kybernet.Linux;
using Kybernet.Linux.Namespaces;
using Kybernet.Linux.Netlink;
using Kybernet.Linux.Processes;

namespace Kybernet.Bench;

/// <summary>
/// iperf3 TCP throughput pod to pod across two nodes for each overlay backend, next to the limits of this
/// machine measured in the same run: a bare veth pair between two namespaces, and a hand-built kernel VXLAN
/// path (vxlan devices, routes, neighbours and FDB set by hand, MTU 1450) on a two-node topology of the lab's
/// shape. Each backend runs as users run it: a two-node lab (`kybernet lab up --backend B --no-ip-masq`: etcd, the real
/// agent process on each node) with one pod per node attached by the CNI plugins (`lab pod add`). Every path
/// is built once (kyb-bench-ovl-* namespaces and kyb-bovl* labs); rounds interleave the paths (1 stream,
/// then 4 streams, path by path) and rotate which path goes first; figures are medians.
/// </summary>
public static class OverlayBenchmark
{
    private const string Prefix = "kyb-bench-ovl-";
    private const string LabPrefix = "bovl";

    public static int Run(string[] args)
    {
        int rounds = args.Length > 0 ? int.Parse(args[0]) : 3;
        int seconds = args.Length > 1 ? int.Parse(args[1]) : 5;
        int[] streams = [1, 4];

        Cleanup();
        var paths = new List<BenchPath>();
        var servers = new List<ChildProcess>();
        var results = new Dictionary<(string, int), List<double>>();
        var wall = Stopwatch.StartNew();
        try
        {
            paths.Add(VethPath());
            paths.Add(KernelVxlanPath());
            foreach (var backend in LabTopology.Backends)
                paths.Add(BackendPath(backend, ipMasq: false));
            paths.Add(BackendPath("vxlan", ipMasq: true)); // what masquerading (conntrack) costs, as the lab runs by default

            foreach (var p in paths)
            {
                servers.Add(ChildProcess.Start(new ChildProcessOptions("iperf3", "-s", "-B", p.ServerIp.ToString())
                {
                    Stdout = ChildStdio.Null,
                    Stderr = ChildStdio.Null,
                }, inside: p.Server));
                foreach (var n in streams)
                    results[(p.Name, n)] = [];
            }
            foreach (var p in paths) // warm-up, and proof the path carries traffic
                Console.Error.WriteLine($"warm-up {p.Name,-28} {Iperf(p, 1, 1):F2} Gbit/s");

            for (int round = 0; round < rounds; round++)
            {
                var order = paths.Skip(round % paths.Count).Concat(paths.Take(round % paths.Count));
                foreach (var p in order)
                    foreach (var n in streams)
                    {
                        double gbps = Iperf(p, n, seconds);
                        results[(p.Name, n)].Add(gbps);
                        Console.Error.WriteLine($"round {round + 1}/{rounds} {p.Name,-28} {n} stream(s): {gbps:F2} Gbit/s");
                    }
            }
        }
        finally
        {
            foreach (var s in servers)
                s.Dispose(); // killed and reaped
            foreach (var p in paths)
                p.Dispose();
            Cleanup();
        }

        double Median(string path, int n) => MedianOf(results[(path, n)]);
        var kernel = paths[1].Name;
        var vxlan = paths[2].Name;
        Console.WriteLine($"iperf3 TCP, {seconds} s runs, median of {rounds} interleaved rounds (wall time {wall.Elapsed.TotalSeconds:F0} s)\n");
        Console.WriteLine("| path | 1 stream Gbit/s | 4 streams Gbit/s | ratio vs hand-built kernel VXLAN (1 / 4 streams) | ratio vs Kybernet vxlan (1 / 4 streams) |");
        Console.WriteLine("|---|---|---|---|---|");
        for (int i = 0; i < paths.Count; i++)
        {
            var p = paths[i];
            string Ratio(string reference) => $"{Median(p.Name, 1) / Median(reference, 1):F2} / {Median(p.Name, 4) / Median(reference, 4):F2}";
            string vsKernel = i is 2 or 3 or 5 ? Ratio(kernel) : "";
            string vsVxlan = i is 4 ? Ratio(vxlan) : "";
            Console.WriteLine($"| {p.Name} | {Median(p.Name, 1):F2} | {Median(p.Name, 4):F2} | {vsKernel} | {vsVxlan} |");
        }
        Console.WriteLine();
        Target("Kybernet vxlan >= 0.9 x kernel VXLAN", paths[2].Name, kernel, 0.9);
        Target("Kybernet host-gw >= 0.9 x kernel VXLAN", paths[3].Name, kernel, 0.9);
        Target("Kybernet udp >= 0.6 x Kybernet vxlan", paths[4].Name, vxlan, 0.6);
        Console.WriteLine($"- masquerading (conntrack on every packet) costs vxlan {1 - Median(paths[5].Name, 1) / Median(vxlan, 1):P0} with 1 stream, {1 - Median(paths[5].Name, 4) / Median(vxlan, 4):P0} with 4");
        return 0;

        void Target(string text, string path, string reference, double min)
        {
            double one = Median(path, 1) / Median(reference, 1), four = Median(path, 4) / Median(reference, 4);
            string Met(double r) => r >= min ? "met" : "NOT met";
            Console.WriteLine($"- {text}: 1 stream {one:F2} ({Met(one)}), 4 streams {four:F2} ({Met(four)})");
        }
    }

    /// <summary>One measured path: where iperf3's server and client run, and everything to release afterwards.</summary>
    private sealed class BenchPath(string id, string name) : IDisposable
    {
        public string Name { get; } = name;
        public NetworkNamespace Server { get; set; } = null!;
        public NetworkNamespace Client { get; set; } = null!;
        public IPAddress ServerIp { get; set; } = null!;
        public List<NetworkNamespace> Namespaces { get; } = [];

        /// <summary>The lab a backend's path runs in; brought down on dispose.</summary>
        public (LabCluster Lab, string Name, string DataDir)? Lab { get; set; }

        public NetworkNamespace Make(string role)
        {
            var ns = NetworkNamespace.Create($"{Prefix}{id}-{role}");
            Namespaces.Add(ns);
            return ns;
        }

        public void Dispose()
        {
            foreach (var ns in Namespaces)
                ns.Dispose();
            if (Lab is var (lab, labName, dataDir))
            {
                lab.Down(labName);
                if (Directory.Exists(dataDir))
                    Directory.Delete(dataDir, recursive: true);
            }
        }
    }

    private static BenchPath VethPath()
    {
        var p = new BenchPath("veth", "veth pair (ceiling)");
        var a = p.Make("a");
        var b = p.Make("b");
        using (var na = RtNetlink.Open(a))
        {
            na.Links.CreateVeth(new VethSpec("eth0", "eth0") { PeerNamespace = b });
            na.Links.SetUp("lo");
            na.Addresses.Add("eth0", new InterfaceAddress(IPAddress.Parse("10.99.0.1"), 24));
            na.Links.SetUp("eth0");
        }
        using (var nb = RtNetlink.Open(b))
        {
            nb.Links.SetUp("lo");
            nb.Addresses.Add("eth0", new InterfaceAddress(IPAddress.Parse("10.99.0.2"), 24));
            nb.Links.SetUp("eth0");
        }
        p.Client = a;
        p.Server = b;
        p.ServerIp = IPAddress.Parse("10.99.0.2");
        return p;
    }

    /// <summary>
    /// Two nodes on one L2 underlay (bridge br0 in its own namespace), each with eth0 192.168.200.1N/24, a bridge
    /// cni0 10.244.N.1/24 and a pod namespace (eth0 10.244.N.2/24, default route via .1), as the CNI plugin makes them.
    /// </summary>
    private static (NetworkNamespace Node1, NetworkNamespace Node2, NetworkNamespace Pod1, NetworkNamespace Pod2) TwoNodes(BenchPath p)
    {
        var underlay = p.Make("u");
        using (var u = RtNetlink.Open(underlay))
        {
            u.Links.CreateBridge("br0");
            u.Links.SetUp("br0");
        }
        var nodes = new NetworkNamespace[2];
        var pods = new NetworkNamespace[2];
        for (int n = 1; n <= 2; n++)
        {
            var node = nodes[n - 1] = p.Make($"n{n}");
            var pod = pods[n - 1] = p.Make($"p{n}");
            using (var u = RtNetlink.Open(underlay))
            {
                u.Links.CreateVeth(new VethSpec($"u{n}", "eth0") { PeerNamespace = node });
                u.Links.SetMaster($"u{n}", "br0");
                u.Links.SetUp($"u{n}");
            }
            using (var nl = RtNetlink.Open(node))
            {
                nl.Links.SetUp("lo");
                nl.Addresses.Add("eth0", new InterfaceAddress(PublicIp(n), 24));
                nl.Links.SetUp("eth0");
                nl.Links.CreateBridge("cni0");
                nl.Addresses.Add("cni0", new InterfaceAddress(IPAddress.Parse($"10.244.{n}.1"), 24));
                nl.Links.SetUp("cni0");
                nl.Links.CreateVeth(new VethSpec($"veth{n}", "eth0") { PeerNamespace = pod });
                nl.Links.SetMaster($"veth{n}", "cni0");
                nl.Links.SetUp($"veth{n}");
            }
            using (var pl = RtNetlink.Open(pod))
            {
                pl.Links.SetUp("lo");
                pl.Addresses.Add("eth0", new InterfaceAddress(IPAddress.Parse($"10.244.{n}.2"), 24));
                pl.Links.SetUp("eth0");
                pl.Routes.Add(Route.Default(IPAddress.Parse($"10.244.{n}.1")));
            }
        }
        p.Client = pods[0];
        p.Server = pods[1];
        p.ServerIp = IPAddress.Parse("10.244.2.2");
        return (nodes[0], nodes[1], pods[0], pods[1]);
    }

    private static IPAddress PublicIp(int n) => IPAddress.Parse($"192.168.200.1{n}");
    private static IPNetwork Subnet(int n) => IPNetwork.Parse($"10.244.{n}.0/24");

    /// <summary>Gives the pod side (bridge, host veth, pod eth0) the overlay's MTU, as the CNI plugin would.</summary>
    private static void SetPodMtu(NetworkNamespace node, NetworkNamespace pod, int n, int mtu)
    {
        using (var nl = RtNetlink.Open(node))
        {
            nl.Links.SetMtu("cni0", mtu);
            nl.Links.SetMtu($"veth{n}", mtu);
        }
        using var pl = RtNetlink.Open(pod);
        pl.Links.SetMtu("eth0", mtu);
    }

    /// <summary>The reference: flannel's vxlan design done by hand with the kernel's own devices and tables.</summary>
    private static BenchPath KernelVxlanPath()
    {
        var p = new BenchPath("kvxlan", "hand-built kernel VXLAN");
        var (node1, node2, pod1, pod2) = TwoNodes(p);
        var nodes = new[] { node1, node2 };
        var macs = new[] { PhysicalAddress.Parse("0A-58-0A-F4-01-00"), PhysicalAddress.Parse("0A-58-0A-F4-02-00") };
        for (int n = 1; n <= 2; n++)
        {
            int other = 3 - n;
            Sysctl.Set(nodes[n - 1], "net.ipv4.ip_forward", "1");
            using var nl = RtNetlink.Open(nodes[n - 1]);
            nl.Links.CreateVxlan(new VxlanSpec("vxlan0", 1) { Local = PublicIp(n), Parent = "eth0", Port = 8472, Learning = false, Mtu = 1450, Mac = macs[n - 1] });
            nl.Addresses.Add("vxlan0", new InterfaceAddress(Subnet(n).BaseAddress, 32));
            nl.Links.SetUp("vxlan0");
            var vtep = Subnet(other).BaseAddress;
            nl.Neighbours.Replace(new Neighbour(vtep, macs[other - 1], "vxlan0"));
            nl.Fdb.Replace(new FdbEntry(macs[other - 1], "vxlan0") { Destination = PublicIp(other) });
            nl.Routes.Add(new Route(Subnet(other)) { Gateway = vtep, Device = "vxlan0", OnLink = true });
        }
        SetPodMtu(node1, pod1, 1, 1450);
        SetPodMtu(node2, pod2, 2, 1450);
        return p;
    }

    /// <summary>
    /// Kybernet's backend as users run it: a two-node lab with that backend, and a pod on each node. Without
    /// masquerading, the nodes carry pod traffic exactly as the hand-built path does (no conntrack); with it, as
    /// `lab up` does by default (flanneld's --ip-masq).
    /// </summary>
    private static BenchPath BackendPath(string backend, bool ipMasq)
    {
        var p = new BenchPath(backend, ipMasq ? $"Kybernet {backend} + ip-masq" : $"Kybernet {backend}");
        string name = LabName(backend) + (ipMasq ? "m" : "");
        string dataDir = LabDataDir(name);
        var lab = new LabCluster(new LabStateStore(dataDir), new LabPrograms([Path.Combine(AppContext.BaseDirectory, "kybernet")], NativeBinary()));
        p.Lab = (lab, name, dataDir);
        lab.Up(LabTopology.Plan(name, 2, etcdMembers: 1, backend: backend) with { IpMasq = ipMasq });
        var client = lab.AddPod(name, "node-1", "client");
        var server = lab.AddPod(name, "node-2", "server");
        p.Client = NetworkNamespace.Open(client.Namespace);
        p.Namespaces.Add(p.Client);
        p.Server = NetworkNamespace.Open(server.Namespace);
        p.Namespaces.Add(p.Server);
        p.ServerIp = server.Address.Address;
        return p;
    }

    /// <summary>bench/run publishes the NativeAOT plugins into .build/native.</summary>
    private static string NativeBinary()
    {
        var path = Path.Combine(Environment.CurrentDirectory, ".build", "native", LabPrograms.NativeBinaryName);
        return File.Exists(path) ? path : throw new FileNotFoundException("run the benchmark with bench/run, which publishes the CNI plugins", path);
    }

    /// <summary>One iperf3 client run from the client namespace; received Gbit/s (retries while the server is not listening yet).</summary>
    private static double Iperf(BenchPath p, int streams, int seconds)
    {
        string last = "";
        for (int attempt = 0; attempt < 10; attempt++)
        {
            var client = ChildProcess.Run(
                new ChildProcessOptions("iperf3", "-c", p.ServerIp.ToString(), "-t", seconds.ToString(), "-P", streams.ToString(), "-J"),
                TimeSpan.FromSeconds(seconds + 60), inside: p.Client);
            last = client.Stdout + client.Stderr;
            if (client.Succeeded)
            {
                var bps = JsonNode.Parse(client.Stdout)?["end"]?["sum_received"]?["bits_per_second"]?.GetValue<double>();
                if (bps is double v)
                    return v / 1e9;
            }
            Thread.Sleep(300);
        }
        throw new InvalidOperationException($"iperf3 over {p.Name} failed: {last}");
    }

    private static double MedianOf(List<double> values)
    {
        var s = values.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

    /// <summary>bovlvxlan, bovlhostgw, bovludp: lab names have no '-'.</summary>
    private static string LabName(string backend) => LabPrefix + backend.Replace("-", "", StringComparison.Ordinal);

    /// <summary>A fixed place per lab, so a run interrupted before its own cleanup is cleaned up by the next.</summary>
    private static string LabDataDir(string name) => Path.Combine(Path.GetTempPath(), "kyb-bench-labs", name);

    /// <summary>Leftovers of an interrupted run: the hand-built paths' namespaces, and each lab (its `down` finds its processes by command line).</summary>
    private static void Cleanup()
    {
        foreach (var ns in NetworkNamespace.List().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
            NetworkNamespace.Delete(ns);
        foreach (var name in LabTopology.Backends.Select(LabName).Append(LabName("vxlan") + "m"))
        {
            var dataDir = LabDataDir(name);
            new LabCluster(new LabStateStore(dataDir)).Down(name);
            if (Directory.Exists(dataDir))
                Directory.Delete(dataDir, recursive: true);
        }
    }
}
