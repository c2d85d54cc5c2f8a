using System.Diagnostics;
using System.Text.Json.Nodes;
using Kybernet.Linux.Namespaces;
using Kybernet.Linux.Processes;

namespace Kybernet.Bench;

/// <summary>
/// Kybernet's CNI plugins against Debian's reference plugins (containernetworking-plugins), side by
/// side in one run: the same bridge + host-local config (only the plugin types differ), the same node
/// namespace and pod namespaces. Each round does N sequential ADDs, then N DELs, per variant; rounds
/// alternate which variant goes first. Every call is timed from process start to exit, as a runtime
/// sees it. Peak memory of one ADD is /usr/bin/time's maximum resident set (the plugin and its IPAM
/// child, whichever is larger).
/// </summary>
public static class CniBenchmark
{
    private const string Prefix = "kyb-bench-cni-";
    private const string Node = Prefix + "node";

    private sealed record Variant(string Name, string BinDirectory, string BridgeType, string IpamType);

    public static int Run(string[] args)
    {
        int pods = args.Length > 0 ? int.Parse(args[0]) : 50;
        int rounds = args.Length > 1 ? int.Parse(args[1]) : 3;
        string native = args.Length > 2 ? args[2] : Path.Combine(AppContext.BaseDirectory, "..", "native", "kybernet-native");
        if (!File.Exists(native))
            throw new FileNotFoundException("publish the NativeAOT plugin binary first (bench/run does)", native);

        var work = Directory.CreateTempSubdirectory("kyb-bench-cni-");
        var ourBin = Directory.CreateDirectory(Path.Combine(work.FullName, "bin")).FullName;
        foreach (var name in new[] { "kybernet-bridge", "kybernet-host-local" })
            File.CreateSymbolicLink(Path.Combine(ourBin, name), Path.GetFullPath(native));
        var variants = new[]
        {
            new Variant("kybernet", ourBin, "kybernet-bridge", "kybernet-host-local"),
            new Variant("reference", "/usr/lib/cni", "bridge", "host-local"),
        };
        var add = variants.ToDictionary(v => v.Name, _ => new List<double>());
        var del = variants.ToDictionary(v => v.Name, _ => new List<double>());
        var memory = new Dictionary<string, long>();
        try
        {
            using var node = NetworkNamespace.Create(Node);
            var podNamespaces = Enumerable.Range(0, pods).Select(i => NetworkNamespace.Create($"{Prefix}pod-{i}")).ToList();
            foreach (var v in variants) // warm-up: page cache, bridge creation, first-exec costs
            {
                Call(node, v, "ADD", Config(v, work.FullName), "warm", podNamespaces[0]);
                Call(node, v, "DEL", Config(v, work.FullName), "warm", podNamespaces[0]);
            }
            for (int round = 0; round < rounds; round++)
            {
                foreach (var v in round % 2 == 0 ? variants : variants.Reverse())
                {
                    var config = Config(v, work.FullName);
                    for (int i = 0; i < pods; i++)
                        add[v.Name].Add(Call(node, v, "ADD", config, $"c{i}", podNamespaces[i]));
                    for (int i = 0; i < pods; i++)
                        del[v.Name].Add(Call(node, v, "DEL", config, $"c{i}", podNamespaces[i]));
                    Console.Error.WriteLine($"round {round + 1}/{rounds} {v.Name,-9}: ADD median {Percentile(add[v.Name], 50):F1} ms, DEL median {Percentile(del[v.Name], 50):F1} ms");
                }
            }
            foreach (var v in variants)
            {
                memory[v.Name] = PeakMemoryOfOneAdd(node, v, Config(v, work.FullName), podNamespaces[0]);
                Call(node, v, "DEL", Config(v, work.FullName), "mem", podNamespaces[0]);
            }
            podNamespaces.ForEach(ns => ns.Dispose());
        }
        finally
        {
            foreach (var ns in NetworkNamespace.List().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
                NetworkNamespace.Delete(ns);
            work.Delete(recursive: true);
        }

        Console.WriteLine($"| bridge + host-local, {pods} pods x {rounds} rounds | ADD median (ms) | ADD p95 | ADD mean | DEL median (ms) | DEL p95 | DEL mean | peak RSS of one ADD (KiB) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var v in variants)
            Console.WriteLine($"| {v.Name} | {Percentile(add[v.Name], 50):F1} | {Percentile(add[v.Name], 95):F1} | {add[v.Name].Average():F1} | {Percentile(del[v.Name], 50):F1} | {Percentile(del[v.Name], 95):F1} | {del[v.Name].Average():F1} | {memory[v.Name]} |");
        Console.WriteLine($"| **ratio reference / kybernet** | **{Ratio(add, 50):F2}x** | {Ratio(add, 95):F2}x | {add["reference"].Average() / add["kybernet"].Average():F2}x | **{Ratio(del, 50):F2}x** | {Ratio(del, 95):F2}x | {del["reference"].Average() / del["kybernet"].Average():F2}x | {(double)memory["reference"] / memory["kybernet"]:F2}x |");
        return 0;
    }

    private static double Ratio(Dictionary<string, List<double>> samples, int percentile) =>
        Percentile(samples["reference"], percentile) / Percentile(samples["kybernet"], percentile);

    private static JsonObject Config(Variant v, string work) => new()
    {
        ["cniVersion"] = "1.0.0",
        ["name"] = "kyb-bench",
        ["type"] = v.BridgeType,
        ["bridge"] = "cni0",
        ["isGateway"] = true,
        ["ipMasq"] = false,
        ["ipam"] = new JsonObject
        {
            ["type"] = v.IpamType,
            ["ranges"] = new JsonArray(new JsonArray(new JsonObject { ["subnet"] = "10.244.1.0/24" })),
            ["routes"] = new JsonArray(new JsonObject { ["dst"] = "0.0.0.0/0" }),
            ["dataDir"] = Path.Combine(work, "ipam-" + v.Name),
        },
    };

    /// <summary>One plugin call, timed from start to exit; a failure stops the benchmark.</summary>
    private static double Call(NetworkNamespace node, Variant v, string command, JsonObject config, string containerId, NetworkNamespace pod, string? wrapper = null)
    {
        var plugin = Path.Combine(v.BinDirectory, v.BridgeType);
        var environment = ChildProcessOptions.CurrentEnvironment();
        environment["CNI_COMMAND"] = command;
        environment["CNI_CONTAINERID"] = containerId;
        environment["CNI_NETNS"] = pod.Path;
        environment["CNI_IFNAME"] = "eth0";
        environment["CNI_PATH"] = v.BinDirectory;
        var options = (wrapper is null ? new ChildProcessOptions(plugin) : new ChildProcessOptions(wrapper, "-f", "%M", plugin)) with
        {
            Environment = environment,
            Stdin = ChildStdio.Input(config.ToJsonString()),
        };
        var stopwatch = Stopwatch.StartNew();
        var result = ChildProcess.Run(options, TimeSpan.FromMinutes(2), inside: node);
        stopwatch.Stop();
        if (!result.Succeeded)
            throw new InvalidOperationException($"{v.Name} {command} {containerId} failed{(result.TimedOut ? " (no answer in 2 minutes)" : "")}: {result.Stdout} {result.Stderr}");
        LastStderr = result.Stderr;
        return stopwatch.Elapsed.TotalMilliseconds;
    }

    private static string LastStderr = "";

    private static long PeakMemoryOfOneAdd(NetworkNamespace node, Variant v, JsonObject config, NetworkNamespace pod)
    {
        Call(node, v, "ADD", config, "mem", pod, wrapper: "/usr/bin/time");
        return long.Parse(LastStderr.Trim().Split('\n')[^1]);
    }

    private static double Percentile(List<double> samples, int percentile)
    {
        var sorted = samples.Order().ToList();
        int index = (int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Count - 1)];
    }
}
