using System.Diagnostics;
using System.Net.Sockets;
using k8s;
using k8s.Models;
using Kybernet.Client;
using Kybernet.Client.Informers;
using Kybernet.Kubelet.Cri;
using Kybernet.Kubelet.Cri.V1;
using Kybernet.Kubelet.Images;
using Kybernet.Kubelet.Pods;
using Kybernet.Kubelet.Pods.Dns;
using Kybernet.Lab;
using Kybernet.Linux.Namespaces;

namespace Kybernet.Bench;

/// <summary>
/// Pod startup on a 2-node kube-mode lab (each node its own containerd, our CNI plugins and pause), in one run:
/// <list type="bullet">
/// <item>kubelet: N pods per node (busybox, nodeName set, so the scheduler is not measured) created at once through
/// the API; each pod's time is from the first create sent to the moment a watch sees it Running with an IP;</item>
/// <item>CRI floor: with the kubelets stopped, a plain client makes the same number of sandboxes and containers
/// directly through each node's containerd (the kubelet's own sandbox and container configs, without volumes or
/// environment), all at once; each pod's time is from the start to its container started, its sandbox having an IP.</item>
/// </list>
/// While the kubelet's pods run, the resident memory of each pause process and of each containerd shim is read
/// from /proc.
/// </summary>
public static class KubeletBenchmark
{
    private const string Name = "bkubelet";
    private static readonly string[] Nodes = ["node-1", "node-2"];

    public static int Run(string[] args)
    {
        int perNode = args.Length > 0 ? int.Parse(args[0]) : 30;
        var dataDir = Path.Combine(Path.GetTempPath(), "kyb-bench-labs", Name);
        var lab = new LabCluster(new LabStateStore(dataDir), Programs());
        lab.Down(Name); // what an interrupted run left
        try
        {
            var topology = lab.Up(LabTopology.Plan(Name, Nodes.Length, etcdMembers: 1, backend: "vxlan", subnetManager: "kube"));
            WaitNodesReady(lab, topology);
            // Twice: the first batch after the node starts also pays the agent's and server's JIT compilation.
            var (cold, coldCpu, _, _) = KubeletStartup(lab, topology, perNode, "first").GetAwaiter().GetResult();
            var (kubelet, kubeletCpu, pauseRss, shimRss) = KubeletStartup(lab, topology, perNode, "second").GetAwaiter().GetResult();
            foreach (var node in Nodes)
                topology = lab.StopAgent(Name, node, kill: false);
            var (floor, floorCpu) = CriStartup(lab, topology, perNode).GetAwaiter().GetResult();

            var total = perNode * Nodes.Length;
            Console.WriteLine($"| {perNode} pods per node on {Nodes.Length} nodes, created at once ({total}) | p50 (s) | p99 (s) | max (s) | p99 vs CRI floor |");
            Console.WriteLine("|---|---|---|---|---|");
            Console.WriteLine($"| CRI floor: a plain client makes sandboxes and containers through containerd | {Percentile(floor, 50):F2} | {Percentile(floor, 99):F2} | {floor.Max():F2} | 1.00x |");
            Console.WriteLine($"| kybernet kubelet, first batch after the node started: API create to Running with an IP (watch) | {Percentile(cold, 50):F2} | {Percentile(cold, 99):F2} | {cold.Max():F2} | {Percentile(cold, 99) / Percentile(floor, 99):F2}x |");
            Console.WriteLine($"| kybernet kubelet, second batch: API create to Running with an IP (watch) | {Percentile(kubelet, 50):F2} | {Percentile(kubelet, 99):F2} | {kubelet.Max():F2} | {Percentile(kubelet, 99) / Percentile(floor, 99):F2}x |");
            Console.WriteLine();
            Console.WriteLine("| resident memory, per process, while the pods run | median (MiB) | max (MiB) | processes |");
            Console.WriteLine("|---|---|---|---|");
            Console.WriteLine($"| pause (kybernet, NativeAOT) | {Percentile(pauseRss, 50):F2} | {pauseRss.Max():F2} | {pauseRss.Count} |");
            Console.WriteLine($"| containerd-shim-runc-v2 | {Percentile(shimRss, 50):F2} | {shimRss.Max():F2} | {shimRss.Count} |");
            Console.WriteLine();
            Console.WriteLine("| CPU seconds spent until the last pod ran (processes and the children they waited for) | CRI floor | kubelet, first batch | kubelet, second batch |");
            Console.WriteLine("|---|---|---|---|");
            foreach (var what in floorCpu.Keys.Union(kubeletCpu.Keys).Union(coldCpu.Keys).Order())
                Console.WriteLine($"| {what} | {floorCpu.GetValueOrDefault(what):F1} | {coldCpu.GetValueOrDefault(what):F1} | {kubeletCpu.GetValueOrDefault(what):F1} |");
            return 0;
        }
        finally
        {
            lab.Down(Name);
            if (Directory.Exists(dataDir))
                Directory.Delete(dataDir, recursive: true);
        }
    }

    private static async Task<(List<double> Seconds, Dictionary<string, double> Cpu, List<double> PauseRss, List<double> ShimRss)> KubeletStartup(LabCluster lab, LabTopology topology, int perNode, string batch)
    {
        var client = ClientInControlPlane(lab, topology);
        var total = perNode * Nodes.Length;
        var started = new Dictionary<string, double>(StringComparer.Ordinal);
        var allRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var clock = new Stopwatch();
        await using var informers = new InformerFactory(client);
        var pods = informers.For<V1Pod>(ApiResource.Pods, "default");
        using var _ = pods.AddHandler(InformerHandler<V1Pod>.OnAny(pod =>
        {
            if (pod.Status?.Phase != "Running" || string.IsNullOrEmpty(pod.Status.PodIP))
                return;
            lock (started)
            {
                if (started.TryAdd(pod.Metadata.Name, clock.Elapsed.TotalSeconds) && started.Count == total)
                    allRunning.TrySetResult();
            }
        }));
        informers.Start();
        await informers.WaitForSyncAsync();

        var cpuBefore = CpuByProcess();
        clock.Start();
        await Task.WhenAll(Enumerable.Range(0, total).Select(i => client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = $"bench-{i}" },
            Spec = new V1PodSpec
            {
                NodeName = Nodes[i % Nodes.Length],
                TerminationGracePeriodSeconds = 0,
                Containers = [new V1Container { Name = "c", Image = BuiltInImages.Busybox, Command = ["sleep", "3600"] }],
            },
        }, "default")));
        await allRunning.Task.WaitAsync(TimeSpan.FromMinutes(5));
        Console.Error.WriteLine($"  kubelet, {batch} batch: {total} pods Running with an IP after {clock.Elapsed.TotalSeconds:F2} s");
        var cpu = CpuSpent(cpuBefore, CpuByProcess());

        var shims = Nodes.SelectMany(n => ShimsOf(lab, topology, n)).ToList();
        var pauses = shims.SelectMany(ChildrenNamed("pause")).ToList();
        var rss = (pauses.Select(RssMiB).ToList(), shims.Select(RssMiB).ToList());

        lab.Server.Kubectl(topology, null, "delete", "pods", "--all", "--grace-period=1", "--timeout=5m");
        return (started.Values.ToList(), cpu, rss.Item1, rss.Item2);
    }

    private static async Task<(List<double> Seconds, Dictionary<string, double> Cpu)> CriStartup(LabCluster lab, LabTopology topology, int perNode)
    {
        var cpuBefore = CpuByProcess();
        var clock = Stopwatch.StartNew();
        var runs = new List<Task<(double Seconds, CriConnection Cri, string Sandbox)>>();
        var connections = Nodes.ToDictionary(n => n, n => new CriConnection(lab.Containerd.Endpoint(topology, n)));
        try
        {
            foreach (var node in Nodes)
            {
                var settings = new SandboxSettings(Path.Combine(lab.Agents.NodeDirectory(node), "pod-logs"), LabContainerd.CgroupParent(topology, node));
                for (int i = 0; i < perNode; i++)
                {
                    var pod = new V1Pod
                    {
                        Metadata = new V1ObjectMeta { Name = $"floor-{node}-{i}", NamespaceProperty = "default", Uid = Guid.NewGuid().ToString() },
                        Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = BuiltInImages.Busybox, Command = ["sleep", "3600"] }] },
                    };
                    var cri = connections[node];
                    runs.Add(Task.Run(() => RunThroughCri(cri, pod, settings, clock)));
                }
            }
            var results = await Task.WhenAll(runs);
            Console.Error.WriteLine($"  CRI floor: {results.Length} containers started after {clock.Elapsed.TotalSeconds:F2} s");
            var cpu = CpuSpent(cpuBefore, CpuByProcess());
            await Task.WhenAll(results.Select(r => RemoveThroughCri(r.Cri, r.Sandbox)));
            return (results.Select(r => r.Seconds).ToList(), cpu);
        }
        finally
        {
            foreach (var cri in connections.Values)
                cri.Dispose();
        }
    }

    private static async Task<(double, CriConnection, string)> RunThroughCri(CriConnection cri, V1Pod pod, SandboxSettings settings, Stopwatch clock)
    {
        var sandboxConfig = SandboxConfigs.For(pod, 0, settings, PodDnsSettings.Empty);
        Directory.CreateDirectory(sandboxConfig.LogDirectory);
        var sandbox = (await cri.CallAsync("RunPodSandbox", o => cri.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = sandboxConfig }, o))).PodSandboxId;
        var status = (await cri.CallAsync("PodSandboxStatus", o => cri.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = sandbox }, o))).Status;
        if (string.IsNullOrEmpty(status.Network?.Ip))
            throw new InvalidOperationException($"sandbox of {pod.Metadata.Name} has no IP");
        var config = ContainerConfigs.For(pod, pod.Spec.Containers[0], init: false, attempt: 0, BuiltInImages.Busybox, [], []);
        Directory.CreateDirectory(Path.Combine(sandboxConfig.LogDirectory, "c"));
        var container = (await cri.CallAsync("CreateContainer", o => cri.Runtime.CreateContainerAsync(
            new CreateContainerRequest { PodSandboxId = sandbox, Config = config, SandboxConfig = sandboxConfig }, o))).ContainerId;
        await cri.CallAsync("StartContainer", o => cri.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = container }, o));
        return (clock.Elapsed.TotalSeconds, cri, sandbox);
    }

    private static async Task RemoveThroughCri(CriConnection cri, string sandbox)
    {
        await cri.CallAsync("StopPodSandbox", o => cri.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = sandbox }, o));
        await cri.CallAsync("RemovePodSandbox", o => cri.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = sandbox }, o));
    }

    /// <summary>
    /// CPU seconds per process so far (utime + stime + the children it waited for: a shim's runc, containerd's CNI
    /// plugins), keyed by pid, with a name: the process's command, and for kybernet its role (server, agent).
    /// </summary>
    private static Dictionary<int, (string Name, double Seconds)> CpuByProcess()
    {
        var ticks = 100.0; // USER_HZ on Linux
        var result = new Dictionary<int, (string, double)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || Read($"{dir}/stat") is not { } stat)
                continue;
            var comm = stat[(stat.IndexOf('(') + 1)..stat.LastIndexOf(')')];
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // After the command: state is field 3; utime, stime, cutime, cstime are fields 14-17 (1-based, man 5 proc).
            var seconds = (long.Parse(fields[11]) + long.Parse(fields[12]) + long.Parse(fields[13]) + long.Parse(fields[14])) / ticks;
            var name = comm == "kybernet" && CommandLine(pid) is { } argv
                ? argv.Contains(" agent ", StringComparison.Ordinal) ? "kybernet agent (kubelet, overlay)" : argv.Contains(" server ", StringComparison.Ordinal) ? "kybernet server" : "kybernet"
                : comm.StartsWith("containerd-shim", StringComparison.Ordinal) ? "containerd-shim-runc-v2 (with runc)" : comm;
            result[pid] = (name, seconds);
        }
        return result;
    }

    /// <summary>What each kind of process spent between two readings (processes born meanwhile count whole), this bench excluded.</summary>
    private static Dictionary<string, double> CpuSpent(Dictionary<int, (string Name, double Seconds)> before, Dictionary<int, (string Name, double Seconds)> after) =>
        after.Where(p => p.Value.Name is "containerd" or "etcd" or "pause" || p.Value.Name.StartsWith("kybernet", StringComparison.Ordinal) || p.Value.Name.StartsWith("containerd-shim", StringComparison.Ordinal))
            .GroupBy(p => p.Value.Name)
            .ToDictionary(g => g.Key, g => g.Sum(p => p.Value.Seconds - (before.TryGetValue(p.Key, out var b) && b.Name == p.Value.Name ? b.Seconds : 0)));

    /// <summary>The lab's API server listens in the control plane's namespace: the client's sockets are made there.</summary>
    private static IKubernetes ClientInControlPlane(LabCluster lab, LabTopology topology)
    {
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(lab.Server.KubeconfigPath);
        var controlPlane = topology.ControlPlane.Namespace;
        config.FirstMessageHandlerSetup = handler =>
        {
            if (handler is not SocketsHttpHandler sockets)
                throw new InvalidOperationException($"the Kubernetes client's handler is a {handler.GetType().Name}, not a SocketsHttpHandler");
            sockets.ConnectCallback = async (context, cancel) =>
            {
                using var ns = NetworkNamespace.Open(controlPlane);
                var socket = ns.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, cancel);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        };
        return new Kubernetes(config);
    }

    private static void WaitNodesReady(LabCluster lab, LabTopology topology)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (lab.Server.Kubectl(topology, null, "get", "nodes", "-o", "jsonpath={.items[*].status.conditions[?(@.type==\"Ready\")].status}").Trim() != "True True")
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("the lab's nodes did not become Ready");
            Thread.Sleep(500);
        }
    }

    /// <summary>The runc v2 shims of the node's containerd (their command line names its socket).</summary>
    private static IEnumerable<int> ShimsOf(LabCluster lab, LabTopology topology, string node)
    {
        var socket = lab.Containerd.Options(topology, node).Socket;
        return Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(p => int.TryParse(p, out _)).Select(int.Parse!)
            .Where(pid => CommandLine(pid) is { } argv && argv.Contains("containerd-shim", StringComparison.Ordinal) && argv.Contains(socket, StringComparison.Ordinal));
    }

    private static Func<int, IEnumerable<int>> ChildrenNamed(string comm) => parent =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(p => int.TryParse(p, out _)).Select(int.Parse!)
            .Where(pid => Read($"/proc/{pid}/stat") is { } stat && stat.Contains($"({comm})", StringComparison.Ordinal)
                          && int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]) == parent);

    private static string? CommandLine(int pid) => Read($"/proc/{pid}/cmdline")?.Replace('\0', ' ');

    private static double RssMiB(int pid) =>
        Read($"/proc/{pid}/status")?.Split('\n').FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)) is { } line
            ? long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0
            : 0;

    private static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null; // the process ended while we looked
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static double Percentile(List<double> values, int percentile)
    {
        var sorted = values.Order().ToList();
        var rank = (int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
    }

    /// <summary>bench/run publishes the CNI plugins into .build/native and agnhost into .build/agnhost.</summary>
    private static LabPrograms Programs()
    {
        var native = Path.Combine(Environment.CurrentDirectory, ".build", "native", LabPrograms.NativeBinaryName);
        if (!File.Exists(native))
            throw new FileNotFoundException("run the benchmark with bench/run, which publishes the CNI plugins", native);
        // The kybernet users run: ./kybernet's ReadyToRun build (bench/run makes it), not this project's JIT copy.
        var kybernet = Path.Combine(Environment.CurrentDirectory, ".build", "kybernet", "kybernet");
        if (!File.Exists(kybernet))
            throw new FileNotFoundException("run the benchmark with bench/run, which builds ./kybernet", kybernet);
        return new LabPrograms([kybernet], native)
        {
            AgnhostBinary = Path.Combine(Environment.CurrentDirectory, ".build", "agnhost", "agnhost"),
        };
    }
}
