using System.Diagnostics;
using System.Net;
using Kybernet.Linux.Namespaces;
using Kybernet.Linux.Netlink;

namespace Kybernet.Bench;

/// <summary>
/// Builds N pod-like namespaces (netns, veth pair with eth0 born in the pod, bridge port, address,
/// loopback and eth0 up, default route) on a node namespace, natively over rtnetlink and with one `ip`
/// process per step as a shell script would, then tears them down. Rounds alternate between the two
/// so drift on the machine hits both alike, after a warm-up round of each (JIT, page cache). Teardown
/// deletes each pod's host-side veth, then unpins its namespace, as a CNI DEL would. The kernel frees
/// namespaces in a background worker: the run waits for that to settle between phases, so no variant
/// pays for the previous one's cleanup. Everything lives in namespaces named kyb-bench-*.
/// </summary>
public static class PodNamespaceBenchmark
{
    private const string Prefix = "kyb-bench-";
    private const string NodeNamespace = Prefix + "node";
    private static readonly InterfaceAddress Gateway = InterfaceAddress.Parse("10.244.1.1/24");

    public static int Run(string[] args)
    {
        int pods = args.Length > 0 ? int.Parse(args[0]) : 100;
        int rounds = args.Length > 1 ? int.Parse(args[1]) : 3;
        if (pods < 1 || pods > 250)
            throw new ArgumentException("pods must be 1-250 (one /24)");

        var results = new Dictionary<string, List<Measurement>> { ["native"] = [], ["ip"] = [] };
        try
        {
            CreateNode();
            using var node = NetworkNamespace.Open(NodeNamespace);
            _node = RtNetlink.Open(node);
            foreach (var (_, setUp, tearDown) in Variants())
            {
                for (int i = 0; i < 5; i++) setUp(i);
                for (int i = 0; i < 5; i++) tearDown(i);
            }
            for (int round = 0; round < rounds; round++)
            {
                foreach (var (name, setUp, tearDown) in Variants())
                {
                    SettleKernel();
                    var up = Stopwatch.StartNew();
                    for (int i = 0; i < pods; i++)
                        setUp(i);
                    up.Stop();
                    Verify(pods);
                    var down = Stopwatch.StartNew();
                    for (int i = 0; i < pods; i++)
                        tearDown(i);
                    down.Stop();
                    results[name].Add(new Measurement(up.Elapsed, down.Elapsed));
                    Console.Error.WriteLine($"round {round + 1}/{rounds} {name,-6}: set up {up.Elapsed.TotalMilliseconds,8:F1} ms, torn down {down.Elapsed.TotalMilliseconds,8:F1} ms");
                }
            }
        }
        finally
        {
            _node?.Dispose();
            foreach (var ns in NetworkNamespace.List().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
                NetworkNamespace.Delete(ns);
        }

        var native = Median(results["native"]);
        var ip = Median(results["ip"]);
        Console.WriteLine($"| {pods} pod namespaces, median of {rounds} interleaved rounds | set up (ms) | per pod (ms) | tear down (ms) |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine($"| Kybernet, native rtnetlink (no process) | {native.Up.TotalMilliseconds:F1} | {native.Up.TotalMilliseconds / pods:F2} | {native.Down.TotalMilliseconds:F1} |");
        Console.WriteLine($"| `ip` commands (7 per pod, 2 to tear down) | {ip.Up.TotalMilliseconds:F1} | {ip.Up.TotalMilliseconds / pods:F2} | {ip.Down.TotalMilliseconds:F1} |");
        Console.WriteLine($"| **ratio ip / native** | **{ip.Up / native.Up:F1}x** | | **{ip.Down / native.Down:F1}x** |");
        return 0;
    }

    private static IEnumerable<(string Name, Action<int> SetUp, Action<int> TearDown)> Variants()
    {
        yield return ("native", SetUpNative, TearDownNative);
        yield return ("ip", SetUpWithIp, TearDownWithIp);
    }

    private static void TearDownNative(int i)
    {
        _node!.Links.Delete(VethName(i));
        NetworkNamespace.Delete(PodName(i));
    }

    private static void TearDownWithIp(int i)
    {
        Ip("-n", NodeNamespace, "link", "delete", VethName(i));
        Ip("netns", "delete", PodName(i));
    }

    private static void CreateNode()
    {
        using var node = NetworkNamespace.Create(NodeNamespace);
        using var nl = RtNetlink.Open(node);
        nl.Links.SetUp("lo");
        nl.Links.CreateBridge("cni0");
        nl.Addresses.Add("cni0", Gateway);
        nl.Links.SetUp("cni0");
    }

    /// <summary>The node's rtnetlink connection, held for the whole run as a node agent would.</summary>
    private static RtNetlink? _node;

    private static void SetUpNative(int i)
    {
        var nodeNl = _node!;
        using var pod = NetworkNamespace.Create(PodName(i));
        using var podNl = RtNetlink.Open(pod);
        nodeNl.Links.CreateVeth(new VethSpec(VethName(i), "eth0") { PeerNamespace = pod });
        nodeNl.Links.SetMaster(VethName(i), "cni0");
        nodeNl.Links.SetUp(VethName(i));
        podNl.Links.SetUp("lo");
        podNl.Addresses.Add("eth0", PodAddress(i));
        podNl.Links.SetUp("eth0");
        podNl.Routes.Add(Route.Default(Gateway.Address));
    }

    private static void SetUpWithIp(int i)
    {
        string pod = PodName(i), veth = VethName(i);
        Ip("netns", "add", pod);
        Ip("-n", NodeNamespace, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", pod);
        Ip("-n", NodeNamespace, "link", "set", veth, "master", "cni0", "up");
        Ip("-n", pod, "link", "set", "lo", "up");
        Ip("-n", pod, "addr", "add", PodAddress(i).ToString(), "dev", "eth0");
        Ip("-n", pod, "link", "set", "eth0", "up");
        Ip("-n", pod, "route", "add", "default", "via", Gateway.Address.ToString());
    }

    /// <summary>Both variants must have built the same thing: every pod has its address and default route.</summary>
    private static void Verify(int pods)
    {
        foreach (int i in new[] { 0, pods / 2, pods - 1 })
        {
            using var pod = NetworkNamespace.Open(PodName(i));
            using var nl = RtNetlink.Open(pod);
            if (!nl.Addresses.List("eth0").Any(a => a.Address == PodAddress(i)) || !nl.Routes.List().Any(r => r.Gateway?.Equals(Gateway.Address) == true))
                throw new InvalidOperationException($"pod {i} was not built completely");
        }
    }

    /// <summary>Waits until the kernel's namespace cleanup worker has gone idle (kworker CPU time stops growing).</summary>
    private static void SettleKernel()
    {
        var last = TimeSpan.MinValue;
        for (int i = 0; i < 50; i++)
        {
            var busy = Process.GetProcesses().Where(p => p.ProcessName.StartsWith("kworker", StringComparison.Ordinal))
                .Sum(p => { try { return p.TotalProcessorTime.Ticks; } catch (InvalidOperationException) { return 0; } });
            if (busy == last.Ticks)
                return;
            last = TimeSpan.FromTicks(busy);
            Thread.Sleep(100);
        }
    }

    private static string PodName(int i) => $"{Prefix}pod-{i}";
    private static string VethName(int i) => $"veth{i}";
    private static InterfaceAddress PodAddress(int i) => new(IPAddress.Parse($"10.244.1.{i + 2}"), 24);

    private static void Ip(params string[] args)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"ip {string.Join(' ', args)}: {error}");
    }

    private static Measurement Median(List<Measurement> runs)
    {
        var up = runs.Select(r => r.Up).Order().ToList();
        var down = runs.Select(r => r.Down).Order().ToList();
        return new Measurement(up[up.Count / 2], down[down.Count / 2]);
    }

    private sealed record Measurement(TimeSpan Up, TimeSpan Down);
}
