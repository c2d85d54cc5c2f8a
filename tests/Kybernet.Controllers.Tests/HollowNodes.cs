using System.Collections.Concurrent;
using System.Net;
using k8s;
using k8s.Models;
using Kybernet.Client;
using Kybernet.Client.Informers;
using Kybernet.Client.Queues;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Controllers.Tests;

/// <summary>How hollow nodes look and behave.</summary>
public sealed record HollowNodeOptions
{
    public string Cpu { get; init; } = "4";
    public string Memory { get; init; } = "8Gi";
    public string Pods { get; init; } = "110";

    /// <summary>How often each node renews its Lease (the kubelet's 10 s is too slow for a test's short grace periods).</summary>
    public TimeSpan HeartbeatPeriod { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Whether the hollow kubelet "runs" the pods bound to its nodes (Running with an IP) and ends terminating ones.</summary>
    public bool RunPods { get; init; } = true;

    /// <summary>Whether a pod it runs is Ready at once (else the test marks it with <see cref="HollowNodes.MarkReadyAsync"/>).</summary>
    public bool ReadyAtOnce { get; init; }
}

/// <summary>
/// Kubemark's hollow nodes: Node objects (Ready, with capacity, allocatable and addresses) and the part of a kubelet the
/// control plane sees, written by the test through the API: a Lease in kube-node-lease renewed every
/// <see cref="HollowNodeOptions.HeartbeatPeriod"/> (stoppable per node, to make it "lost"), the Ready condition
/// re-posted when it resumes, and a hollow kubelet that marks the pods bound to its live nodes Running with a pod IP
/// (Ready at once or when the test says) and finishes the graceful deletion of their terminating pods, as a kubelet does
/// once their containers have stopped. A node whose heartbeats are stopped is dead: its pods are left as they are.
/// </summary>
public sealed class HollowNodes : IAsyncDisposable
{
    public const string LeaseNamespace = "kube-node-lease";

    private readonly IKubernetes _client;
    private readonly HollowNodeOptions _options;
    private readonly ConcurrentDictionary<string, Node> _nodes = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly InformerFactory? _informers;
    private readonly WorkQueue<string>? _pods;
    private readonly SharedInformer<V1Pod>? _podInformer;
    private readonly Task _heartbeats;
    private readonly ConcurrentQueue<Exception> _failures = new();
    private readonly Task _kubelet;
    private int _nextIndex;

    private sealed class Node(string name, int index)
    {
        public string Name { get; } = name;
        public int Index { get; } = index;
        public volatile bool Beating = true;
        public volatile bool RepostStatus;
        public int NextPodAddress;
    }

    private HollowNodes(TestApiServer server, HollowNodeOptions options)
    {
        _client = server.NewClient();
        _options = options;
        if (options.RunPods)
        {
            _informers = new InformerFactory(_client);
            _podInformer = _informers.For<V1Pod>(ApiResource.Pods);
            _pods = new WorkQueue<string>(new WorkQueueOptions { BaseDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromSeconds(1) });
            _podInformer.AddHandler(new InformerHandler<V1Pod>(OnAdd: Enqueue, OnUpdate: (_, pod) => Enqueue(pod)));
            _informers.Start();
            _kubelet = QueueWorkers.RunAsync(_pods, workers: 4, RunPodAsync, NullLogger.Instance, _stop.Token);
        }
        else
            _kubelet = Task.CompletedTask;
        _heartbeats = Task.Run(() => HeartbeatAsync(_stop.Token));
    }

    /// <summary>Starts the hollow kubelet and heartbeats, and adds <paramref name="count"/> nodes named hollow-0, hollow-1, ...</summary>
    public static async Task<HollowNodes> StartAsync(TestApiServer server, int count = 3, HollowNodeOptions? options = null)
    {
        var nodes = new HollowNodes(server, options ?? new HollowNodeOptions());
        try
        {
            await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) => await nodes.AddAsync($"hollow-{i}"));
            return nodes;
        }
        catch
        {
            await nodes.DisposeAsync();
            throw;
        }
    }

    /// <summary>What went wrong in the heartbeats beyond a deleted node or a restarting server (for a failing test to show).</summary>
    public IReadOnlyCollection<Exception> Failures => _failures;

    /// <summary>The nodes' names, in the order they were added.</summary>
    public IReadOnlyList<string> Names => [.. _nodes.Values.OrderBy(n => n.Index).Select(n => n.Name)];

    /// <summary>Registers a Ready node (with these extra labels, taints and capacity) and starts its heartbeats.</summary>
    public async Task<V1Node> AddAsync(string name, IDictionary<string, string>? labels = null, IList<V1Taint>? taints = null, string? cpu = null, string? memory = null)
    {
        var index = Interlocked.Increment(ref _nextIndex) - 1;
        var nodeLabels = new Dictionary<string, string>
        {
            ["kubernetes.io/hostname"] = name,
            ["kubernetes.io/os"] = "linux",
            ["kubernetes.io/arch"] = "amd64",
        };
        foreach (var (key, value) in labels ?? new Dictionary<string, string>())
            nodeLabels[key] = value;
        var capacity = new Dictionary<string, ResourceQuantity>
        {
            ["cpu"] = new(cpu ?? _options.Cpu),
            ["memory"] = new(memory ?? _options.Memory),
            ["pods"] = new(_options.Pods),
            ["ephemeral-storage"] = new("100Gi"),
        };
        var now = DateTime.UtcNow;
        var created = await _client.CoreV1.CreateNodeAsync(new V1Node
        {
            ApiVersion = "v1",
            Kind = "Node",
            Metadata = new V1ObjectMeta { Name = name, Labels = nodeLabels },
            Spec = new V1NodeSpec { Taints = taints },
            Status = new V1NodeStatus
            {
                Capacity = capacity,
                Allocatable = capacity,
                Addresses = [new V1NodeAddress { Type = "InternalIP", Address = NodeAddress(index) }, new V1NodeAddress { Type = "Hostname", Address = name }],
                Conditions = Conditions(now),
                NodeInfo = new V1NodeSystemInfo
                {
                    Architecture = "amd64",
                    OperatingSystem = "linux",
                    KernelVersion = "hollow",
                    OsImage = "hollow",
                    BootID = Guid.NewGuid().ToString(),
                    MachineID = Guid.NewGuid().ToString("N"),
                    SystemUUID = Guid.NewGuid().ToString(),
                    ContainerRuntimeVersion = "hollow://1.0",
                    KubeletVersion = "v1.32.0",
                    KubeProxyVersion = "v1.32.0",
                },
            },
        });
        await _client.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease
        {
            ApiVersion = "coordination.k8s.io/v1",
            Kind = "Lease",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = LeaseNamespace,
                OwnerReferences = [new V1OwnerReference { ApiVersion = "v1", Kind = "Node", Name = name, Uid = created.Metadata.Uid }],
            },
            Spec = new V1LeaseSpec { HolderIdentity = name, LeaseDurationSeconds = 40, RenewTime = now },
        }, LeaseNamespace);
        _nodes[name] = new Node(name, index);
        return created;
    }

    /// <summary>The node goes silent: no more lease renewals, status posts or pod work (as a node that lost power).</summary>
    public void StopHeartbeats(string name) => _nodes[name].Beating = false;

    /// <summary>The node is back: it renews its lease and posts Ready again at once.</summary>
    public void ResumeHeartbeats(string name)
    {
        var node = _nodes[name];
        node.RepostStatus = true;
        node.Beating = true;
    }

    /// <summary>Sets the pod's Ready (and ContainersReady) condition, as a kubelet does when its readiness changes.</summary>
    public Task MarkReadyAsync(string ns, string name, bool ready = true)
    {
        var now = DateTime.UtcNow;
        var status = ready ? "True" : "False";
        return PatchStatusAsync(ns, name, new
        {
            status = new
            {
                conditions = new object[]
                {
                    new { type = "PodScheduled", status = "True" },
                    new { type = "Initialized", status = "True" },
                    new { type = "ContainersReady", status, lastTransitionTime = now },
                    new { type = "Ready", status, lastTransitionTime = now },
                },
            },
        });
    }

    /// <summary>The pod's containers ended: phase Succeeded (exit 0) or Failed (exit 1), no longer Ready.</summary>
    public Task FinishAsync(string ns, string name, bool succeeded)
    {
        var now = DateTime.UtcNow;
        return PatchStatusAsync(ns, name, new
        {
            status = new
            {
                phase = succeeded ? "Succeeded" : "Failed",
                conditions = new object[]
                {
                    new { type = "PodScheduled", status = "True" },
                    new { type = "Initialized", status = "True" },
                    new { type = "ContainersReady", status = "False", lastTransitionTime = now, reason = "PodCompleted" },
                    new { type = "Ready", status = "False", lastTransitionTime = now, reason = "PodCompleted" },
                },
            },
        });
    }

    private static string NodeAddress(int index) => $"10.99.{index / 250}.{index % 250 + 1}";

    private Task PatchStatusAsync(string ns, string name, object patch) =>
        _client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), name, ns);

    private static List<V1NodeCondition> Conditions(DateTime now) =>
    [
        Condition("Ready", "True", "KubeletReady", "kubelet is posting ready status", now),
        Condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available", now),
        Condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure", now),
        Condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available", now),
    ];

    private static V1NodeCondition Condition(string type, string status, string reason, string message, DateTime now) => new()
    {
        Type = type,
        Status = status,
        Reason = reason,
        Message = message,
        LastHeartbeatTime = now,
        LastTransitionTime = now,
    };

    private async Task HeartbeatAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_options.HeartbeatPeriod);
        while (await timer.WaitForNextTickAsync(ct).AsTask().ContinueWith(t => t.IsCompletedSuccessfully && t.Result, TaskScheduler.Default))
        {
            try
            {
                await BeatAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _failures.Enqueue(e);
            }
        }
    }

    private Task BeatAsync(CancellationToken ct) =>
        Parallel.ForEachAsync(_nodes.Values.Where(n => n.Beating), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (node, token) =>
        {
            try
            {
                var now = DateTime.UtcNow;
                await _client.CoordinationV1.PatchNamespacedLeaseAsync(
                    new V1Patch(new { spec = new { renewTime = now } }, V1Patch.PatchType.MergePatch), node.Name, LeaseNamespace, cancellationToken: token);
                if (node.RepostStatus)
                {
                    await _client.CoreV1.PatchNodeStatusAsync(new V1Patch(new { status = new { conditions = Conditions(now) } }, V1Patch.PatchType.StrategicMergePatch), node.Name, cancellationToken: token);
                    node.RepostStatus = false;
                    foreach (var pod in _podInformer?.Cache.List().Where(p => p.Spec?.NodeName == node.Name) ?? [])
                        Enqueue(pod); // what it missed while silent (deletions to finish)
                }
            }
            catch (Exception e) when (!token.IsCancellationRequested && (KubeClient.IsNotFound(e) || e is HttpRequestException))
            {
                // The node was deleted by the test, or the server is restarting: the next beat tries again.
            }
        });

    private void Enqueue(V1Pod pod)
    {
        if (pod.Spec?.NodeName is { } node && _nodes.ContainsKey(node))
            _pods!.Add(ObjectKey.Of(pod));
    }

    /// <summary>The hollow kubelet's sync of one pod bound to one of its live nodes.</summary>
    private async Task RunPodAsync(string key, CancellationToken ct)
    {
        if (_podInformer!.Cache.Get(key) is not { } pod || pod.Spec?.NodeName is not { } nodeName ||
            !_nodes.TryGetValue(nodeName, out var node) || !node.Beating)
            return;
        try
        {
            if (pod.Metadata.DeletionTimestamp is not null)
            {
                // Its containers are stopped: the kubelet ends the graceful deletion it was waiting for.
                await _client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty,
                    new V1DeleteOptions { GracePeriodSeconds = 0, Preconditions = new V1Preconditions { Uid = pod.Metadata.Uid } }, cancellationToken: ct);
                return;
            }
            if (pod.Status?.PodIP is not null || pod.Status?.Phase is "Succeeded" or "Failed")
                return;
            var address = Interlocked.Increment(ref node.NextPodAddress);
            var ip = new IPAddress([10, 200, (byte)node.Index, (byte)(address % 254 + 1)]).ToString();
            var hostIp = NodeAddress(node.Index);
            var now = DateTime.UtcNow;
            var ready = _options.ReadyAtOnce ? "True" : "False";
            await PatchStatusAsync(pod.Metadata.NamespaceProperty, pod.Metadata.Name, new
            {
                status = new
                {
                    phase = "Running",
                    podIP = ip,
                    podIPs = new[] { new { ip } },
                    hostIP = hostIp,
                    hostIPs = new[] { new { ip = hostIp } },
                    startTime = now,
                    conditions = new object[]
                    {
                        new { type = "PodScheduled", status = "True", lastTransitionTime = now },
                        new { type = "Initialized", status = "True", lastTransitionTime = now },
                        new { type = "ContainersReady", status = ready, lastTransitionTime = now },
                        new { type = "Ready", status = ready, lastTransitionTime = now },
                    },
                    containerStatuses = (pod.Spec.Containers ?? []).Select(c => new
                    {
                        name = c.Name,
                        image = c.Image,
                        imageID = "",
                        ready = _options.ReadyAtOnce,
                        restartCount = 0,
                        started = true,
                        state = new { running = new { startedAt = now } },
                    }).ToArray(),
                },
            });
        }
        catch (Exception e) when (KubeClient.IsNotFound(e) || KubeClient.IsConflict(e))
        {
            // Gone meanwhile, or recreated under the same name: nothing of ours to do.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _pods?.Dispose();
        await _kubelet;
        await _heartbeats;
        if (_informers is not null)
            await _informers.DisposeAsync();
        _stop.Dispose();
    }
}
