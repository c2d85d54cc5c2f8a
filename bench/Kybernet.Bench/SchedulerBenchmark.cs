using System.Diagnostics;
using System.Net;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using Kybernet.ApiServer;
using Kybernet.Client;
using Kybernet.Client.Informers;
using Kybernet.Controllers;
using Kybernet.Controllers.Scheduler;
using Kybernet.Store;
using Kybernet.Store.Sqlite;
using Microsoft.Extensions.Logging;

namespace Kybernet.Bench;

/// <summary>
/// Scheduling end to end through the API server (on SQLite, as `kybernet server` runs by default), in one run, each
/// variant on a fresh server with the same N Ready nodes (generous allocatable) and the same pod template:
/// <list type="bullet">
/// <item>baseline: a plain client creates the pods and binds each itself as soon as it exists (pods/NAME/binding,
/// round-robin over the nodes): as many creating workers as the other variants' client, and as many binding workers as
/// the scheduler keeps bindings in flight;</item>
/// <item>scheduler: the same client creates the same pods, unbound, and the controller manager's scheduler binds them;</item>
/// <item>replicaset (when the controller manager has a ReplicaSet controller): one ReplicaSet of that many replicas;
/// its controller creates the pods and the scheduler binds them.</item>
/// </list>
/// The clock runs from the first create until an informer of the benchmark (the same in every variant) has seen every
/// pod bound. Variants alternate over the rounds.
/// </summary>
public static class SchedulerBenchmark
{
    private const string Namespace = "default";

    public static int Run(string[] args)
    {
        int nodes = args.Length > 0 ? int.Parse(args[0]) : 100;
        int pods = args.Length > 1 ? int.Parse(args[1]) : 1000;
        int rounds = args.Length > 2 ? int.Parse(args[2]) : 1;
        int workers = new SchedulerOptions().MaxBindingsInFlight;
        bool hasReplicaSets = HasController("replicaset");
        // Optional: only some variants (baseline, scheduler, replicaset), e.g. to profile one.
        var only = args.Length > 3 ? args[3].Split(',') : null;

        var variants = new List<(string Name, Variant Run)>
        {
            ($"plain client: creates, binds each pod itself ({workers} + {workers} workers)", Variant.Baseline),
            ("kybernet: client creates, scheduler binds", Variant.Scheduler),
            ("kybernet: client creates, scheduler alone binds (no other controller)", Variant.SchedulerAlone),
        };
        if (hasReplicaSets)
            variants.Add(("kybernet: ReplicaSet controller creates, scheduler binds", Variant.ReplicaSet));
        else
            Console.Error.WriteLine("the controller manager has no replicaset controller: measuring the scheduler with client-made pods only");

        if (only is not null)
            variants.RemoveAll(v => !only.Contains(v.Run.ToString(), StringComparer.OrdinalIgnoreCase));
        var results = variants.ToDictionary(v => v.Name, _ => new List<double>());
        for (int round = 0; round < rounds; round++)
        {
            foreach (var (name, variant) in round % 2 == 0 ? variants : Enumerable.Reverse(variants))
            {
                var seconds = MeasureAsync(variant, nodes, pods, workers).GetAwaiter().GetResult();
                Console.Error.WriteLine($"round {round + 1}: {name}: {seconds:F2} s, {pods / seconds:F0} pods/s");
                results[name].Add(seconds);
            }
        }

        double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
        double baseline = pods / Median(results[variants[0].Name]); // the first variant, normally the plain client
        Console.WriteLine($"| {pods} pods on {nodes} nodes, median of {rounds} | create to all bound (s) | pods/s | vs plain client |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var (name, _) in variants)
        {
            double seconds = Median(results[name]);
            Console.WriteLine($"| {name} | {seconds:F2} | {pods / seconds:F0} | {pods / seconds / baseline:F2}x |");
        }
        return 0;
    }

    private enum Variant { Baseline, Scheduler, SchedulerAlone, ReplicaSet }

    private static bool HasController(string name)
    {
        using var client = new Kubernetes(new KubernetesClientConfiguration { Host = "https://127.0.0.1:1" });
        var informers = new InformerFactory(client); // never started
        return ControllerManager.Create(informers, new ControllerManagerOptions()).Any(c => c.Name == name);
    }

    private static async Task<double> MeasureAsync(Variant variant, int nodeCount, int podCount, int workers)
    {
        var dir = Directory.CreateTempSubdirectory("kyb-bench-sched-").FullName;
        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        try
        {
            await using var store = SqliteStore.Open(Path.Combine(dir, "store"));
            await using var server = await ApiServerHost.StartAsync(new ApiServerOptions { DataDirectory = dir, Listen = new IPEndPoint(IPAddress.Loopback, 0) }, store);
            using var client = KubeClient.FromKubeconfig(server.KubeconfigPath);
            var nodeNames = await CreateNodesAsync(client, nodeCount);

            // The benchmark's own view of the pods, the same in every variant: done when it has seen every pod bound.
            await using var informers = new InformerFactory(client);
            var podInformer = informers.For<V1Pod>(ApiResource.Pods, Namespace);
            var bound = new HashSet<string>(StringComparer.Ordinal);
            var allBound = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var _ = podInformer.AddHandler(InformerHandler<V1Pod>.OnAny(pod =>
            {
                if (string.IsNullOrEmpty(pod.Spec?.NodeName) || !bound.Add(pod.Metadata.Name))
                    return;
                if (bound.Count == podCount)
                    allBound.TrySetResult();
            }));
            informers.Start();
            await informers.WaitForSyncAsync();

            using var controllerClient = variant == Variant.Baseline ? null : KubeClient.FromKubeconfig(server.ControllerManagerKubeconfigPath);
            var managerOptions = new ControllerManagerOptions { Loggers = loggers, AllocateNodeCidrs = false };
            await using var controllerInformers = controllerClient is null ? null : new InformerFactory(controllerClient, loggers: loggers);
            await using var controllers = controllerClient is null ? null
                : variant == Variant.SchedulerAlone
                    ? ControllerManager.Start([new PodScheduler(controllerInformers!, managerOptions.Scheduler, loggers.CreateLogger("scheduler"))], managerOptions)
                    : ControllerManager.Start(controllerClient, managerOptions);
            controllerInformers?.Start();
            if (controllers is not null)
                await Task.Delay(TimeSpan.FromSeconds(2)); // the controllers list the nodes before the clock starts

            var startRevision = await store.CurrentRevisionAsync();
            var (startWrites, startCommits) = (store.GroupCommits.Writes, store.GroupCommits.Commits);
            var stopwatch = Stopwatch.StartNew();
            switch (variant)
            {
                case Variant.Baseline:
                    // The same concurrency as the other variants: creating workers, and as many binding workers
                    // (the scheduler's bindings in flight) binding each pod as soon as it exists.
                    var created = Channel.CreateUnbounded<(string Name, int Index)>();
                    var creating = ForEachAsync(podCount, workers, async i =>
                    {
                        var pod = await client.CoreV1.CreateNamespacedPodAsync(Pod($"bench-{i}"), Namespace);
                        created.Writer.TryWrite((pod.Metadata.Name, i));
                    }).ContinueWith(t => created.Writer.TryComplete(t.Exception), TaskScheduler.Default);
                    await Task.WhenAll(Enumerable.Range(0, workers).Select(async _ =>
                    {
                        await foreach (var (name, i) in created.Reader.ReadAllAsync())
                        {
                            await client.CoreV1.CreateNamespacedPodBindingAsync(new V1Binding
                            {
                                Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Namespace },
                                Target = new V1ObjectReference { Kind = "Node", Name = nodeNames[i % nodeNames.Count] },
                            }, name, Namespace);
                        }
                    }));
                    await creating;
                    break;
                case Variant.Scheduler or Variant.SchedulerAlone:
                    await ForEachAsync(podCount, workers, i => client.CoreV1.CreateNamespacedPodAsync(Pod($"bench-{i}"), Namespace));
                    break;
                case Variant.ReplicaSet:
                    var template = Pod("");
                    await client.AppsV1.CreateNamespacedReplicaSetAsync(new V1ReplicaSet
                    {
                        Metadata = new V1ObjectMeta { Name = "bench" },
                        Spec = new V1ReplicaSetSpec
                        {
                            Replicas = podCount,
                            Selector = new V1LabelSelector { MatchLabels = template.Metadata.Labels },
                            Template = new V1PodTemplateSpec { Metadata = new V1ObjectMeta { Labels = template.Metadata.Labels }, Spec = template.Spec },
                        },
                    }, Namespace);
                    break;
            }
            var sent = stopwatch.Elapsed.TotalSeconds;
            await allBound.Task.WaitAsync(TimeSpan.FromMinutes(5));
            var seconds = stopwatch.Elapsed.TotalSeconds;
            Console.Error.WriteLine($"  {variant}: requests sent after {sent:F2} s, all bound after {seconds:F2} s");
            var (writes, commits) = (store.GroupCommits.Writes - startWrites, store.GroupCommits.Commits - startCommits);
            await ReportWritesAsync(store, variant, startRevision, podCount);
            Console.Error.WriteLine($"  {variant}: {writes} writes in {commits} SQLite commits (group commit: {writes / (double)Math.Max(1, commits):F2} writes per commit, " +
                $"{commits / (double)podCount:F2} commits per pod)");
            return seconds;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Ready nodes with room for many pods (written through nodes/status, as a kubelet would).</summary>
    /// <summary>What the store committed while the clock ran, per resource: where the writes per pod go.</summary>
    private static async Task ReportWritesAsync(SqliteStore store, Variant variant, long startRevision, int podCount)
    {
        var endRevision = await store.CurrentRevisionAsync();
        var byResource = new Dictionary<string, int>(StringComparer.Ordinal);
        using var enough = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await foreach (var change in store.WatchAsync(KeyRange.Prefix("/"), startRevision + 1, enough.Token))
            {
                if (change.Kv.ModRevision > endRevision)
                    break;
                var parts = change.Kv.Key.Split('/', StringSplitOptions.RemoveEmptyEntries);
                var resource = parts.Length > 2 ? $"{parts[1]}/{parts[2]}" : change.Kv.Key;
                byResource[resource] = byResource.GetValueOrDefault(resource) + 1;
                if (change.Kv.ModRevision == endRevision)
                    break;
            }
        }
        catch (OperationCanceledException)
        {
            // Nothing after the last counted change: the tally is what there was.
        }
        Console.Error.WriteLine($"  {variant}: {endRevision - startRevision} revisions (writes that changed something), {(endRevision - startRevision) / (double)podCount:F2} per pod: " +
            string.Join(", ", byResource.OrderByDescending(r => r.Value).Select(r => $"{r.Key} {r.Value}")));
    }

    private static async Task<List<string>> CreateNodesAsync(IKubernetes client, int count)
    {
        var names = Enumerable.Range(0, count).Select(i => $"hollow-{i:D3}").ToList();
        var resources = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("64"), ["memory"] = new("256Gi"), ["pods"] = new("110") };
        await ForEachAsync(count, 16, async i =>
        {
            var node = await client.CoreV1.CreateNodeAsync(new V1Node
            {
                Metadata = new V1ObjectMeta { Name = names[i], Labels = new Dictionary<string, string> { ["kubernetes.io/hostname"] = names[i] } },
            });
            node.Status = new V1NodeStatus
            {
                Capacity = resources,
                Allocatable = resources,
                Conditions = [new V1NodeCondition { Type = "Ready", Status = "True", Reason = "KubeletReady", LastHeartbeatTime = DateTime.UtcNow, LastTransitionTime = DateTime.UtcNow }],
            };
            await client.CoreV1.ReplaceNodeStatusAsync(node, names[i]);
        });
        return names;
    }

    private static V1Pod Pod(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name.Length == 0 ? null : name, Labels = new Dictionary<string, string> { ["app"] = "bench" } },
        Spec = new V1PodSpec
        {
            Containers =
            [
                new V1Container
                {
                    Name = "main",
                    Image = "busybox",
                    Resources = new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m"), ["memory"] = new("64Mi") } },
                },
            ],
        },
    };

    private static Task ForEachAsync(int count, int workers, Func<int, Task> work)
    {
        int next = -1;
        return Task.WhenAll(Enumerable.Range(0, workers).Select(async _ =>
        {
            for (int i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
                await work(i);
        }));
    }
}
