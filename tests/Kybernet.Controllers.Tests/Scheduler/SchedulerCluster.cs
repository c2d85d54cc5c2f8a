using k8s;
using k8s.Models;
using Kybernet.Controllers.Scheduler;

namespace Kybernet.Controllers.Tests.Scheduler;

/// <summary>
/// An API server with the scheduler running on it, and helpers to make what it schedules: Ready nodes with a given
/// allocatable (written through nodes/status, as a kubelet would) and pods.
/// </summary>
internal sealed class SchedulerCluster : IAsyncDisposable
{
    private SchedulerCluster(TestApiServer server, RunningController scheduler)
    {
        Server = server;
        Scheduler = scheduler;
    }

    public TestApiServer Server { get; }
    public RunningController Scheduler { get; }
    public IKubernetes Client => Server.Client;

    public static async Task<SchedulerCluster> StartAsync(SchedulerOptions? options = null)
    {
        var server = await TestApiServer.StartAsync();
        var scheduler = new RunningController(server, (informers, log) => new PodScheduler(informers, options ?? new SchedulerOptions(), log));
        return new SchedulerCluster(server, scheduler);
    }

    /// <summary>A node with Ready=<paramref name="ready"/> and the given allocatable (capacity the same).</summary>
    public async Task<V1Node> CreateNodeAsync(string name, string cpu = "4", string memory = "8Gi", string pods = "110",
        IDictionary<string, string>? labels = null, IList<V1Taint>? taints = null, bool unschedulable = false, string ready = "True")
    {
        var allLabels = new Dictionary<string, string> { ["kubernetes.io/hostname"] = name };
        foreach (var (key, value) in labels ?? new Dictionary<string, string>())
            allLabels[key] = value;
        await Client.CoreV1.CreateNodeAsync(new V1Node
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = allLabels },
            Spec = new V1NodeSpec { Taints = taints, Unschedulable = unschedulable },
        });
        var node = await Client.CoreV1.ReadNodeAsync(name);
        var resources = new Dictionary<string, ResourceQuantity>
        {
            ["cpu"] = new(cpu),
            ["memory"] = new(memory),
            ["pods"] = new(pods),
        };
        node.Status = new V1NodeStatus
        {
            Capacity = resources,
            Allocatable = resources,
            Conditions = [new V1NodeCondition { Type = "Ready", Status = ready, Reason = "KubeletReady", LastHeartbeatTime = DateTime.UtcNow, LastTransitionTime = DateTime.UtcNow }],
        };
        return await Client.CoreV1.ReplaceNodeStatusAsync(node, name);
    }

    /// <summary>A pod of one busybox container; <paramref name="customize"/> shapes it before it is created.</summary>
    public Task<V1Pod> CreatePodAsync(string name, Action<V1Pod>? customize = null, string ns = "default")
    {
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = new Dictionary<string, string> { ["app"] = name } },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "main", Image = "busybox" }] },
        };
        customize?.Invoke(pod);
        return Client.CoreV1.CreateNamespacedPodAsync(pod, ns);
    }

    public static Action<V1Pod> Requesting(string? cpu = null, string? memory = null) => pod =>
    {
        var requests = new Dictionary<string, ResourceQuantity>();
        if (cpu is not null)
            requests["cpu"] = new ResourceQuantity(cpu);
        if (memory is not null)
            requests["memory"] = new ResourceQuantity(memory);
        pod.Spec.Containers[0].Resources = new V1ResourceRequirements { Requests = requests };
    };

    public static Action<V1Pod> OwnedBy(string ownerUid, string ownerName = "web") => pod =>
        pod.Metadata.OwnerReferences = [new V1OwnerReference { ApiVersion = "apps/v1", Kind = "ReplicaSet", Name = ownerName, Uid = ownerUid, Controller = true }];

    public async Task<V1Pod> ReadPodAsync(string name, string ns = "default") => await Client.CoreV1.ReadNamespacedPodAsync(name, ns);

    /// <summary>Waits until the pod is bound; returns its node.</summary>
    public async Task<string> WaitForNodeAsync(string name, string ns = "default")
    {
        string? node = null;
        await TestApiServer.Eventually(async () => (node = (await ReadPodAsync(name, ns)).Spec.NodeName) is { Length: > 0 }, $"pod {ns}/{name} is bound");
        return node!;
    }

    /// <summary>Waits until the pod has PodScheduled=False; returns that condition's message.</summary>
    public async Task<string> WaitForUnschedulableAsync(string name, string? message = null, string ns = "default")
    {
        V1PodCondition? condition = null;
        await TestApiServer.Eventually(async () =>
        {
            condition = (await ReadPodAsync(name, ns)).Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled");
            return condition is { Status: "False", Reason: "Unschedulable" } && (message is null || condition.Message == message);
        }, $"pod {ns}/{name} is marked unschedulable{(message is null ? "" : $" with \"{message}\"")} (last: {condition?.Message})");
        return condition!.Message;
    }

    public async ValueTask DisposeAsync()
    {
        await Scheduler.DisposeAsync();
        await Server.DisposeAsync();
    }
}
