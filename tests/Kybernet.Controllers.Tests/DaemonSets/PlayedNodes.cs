using k8s;
using k8s.Models;
using Kybernet.Controllers.DaemonSets;

namespace Kybernet.Controllers.Tests.DaemonSets;

/// <summary>
/// Ready Node objects, and in the background the parts the test plays: the scheduler (binds each pending pod to the node
/// its node-name affinity names, through pods/binding) and the kubelets (a bound pod becomes Running and Ready, unless
/// held back; a terminating pod on a node is finished). Stopped on dispose.
/// </summary>
internal sealed class PlayedNodes : IAsyncDisposable
{
    private readonly IKubernetes _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public PlayedNodes(IKubernetes client)
    {
        _client = client;
        _loop = Task.Run(() => LoopAsync(_stop.Token));
    }

    /// <summary>When false, bound pods become Running but not Ready (the test marks them).</summary>
    public volatile bool MarkReady = true;

    public Task<V1Node> AddAsync(string name, IDictionary<string, string>? labels = null, IList<V1Taint>? taints = null) =>
        _client.CoreV1.CreateNodeAsync(new V1Node
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = labels ?? new Dictionary<string, string> { ["kubernetes.io/hostname"] = name } },
            Spec = new V1NodeSpec { Taints = taints },
        }).ContinueWith(async created =>
        {
            var node = await created;
            node.Status = new V1NodeStatus
            {
                Conditions = [new V1NodeCondition { Type = "Ready", Status = "True", Reason = "KubeletReady", LastHeartbeatTime = DateTime.UtcNow, LastTransitionTime = DateTime.UtcNow }],
                Capacity = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("4"), ["memory"] = new("8Gi"), ["pods"] = new("110") },
                Allocatable = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("4"), ["memory"] = new("8Gi"), ["pods"] = new("110") },
            };
            return await _client.CoreV1.ReplaceNodeStatusAsync(node, name);
        }).Unwrap();

    private async Task LoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                foreach (var pod in (await _client.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: ct)).Items)
                    await PlayAsync(pod, ct);
                await Task.Delay(30, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception)
            {
                // A pod changed or went between the list and the write: the next round sees its new state.
            }
        }
    }

    private async Task PlayAsync(V1Pod pod, CancellationToken ct)
    {
        if (pod.Metadata.DeletionTimestamp is not null)
        {
            await _client.CoreV1.DeleteNamespacedPodAsync(pod.Name(), pod.Namespace(), new V1DeleteOptions { GracePeriodSeconds = 0, Preconditions = new V1Preconditions { Uid = pod.Uid() } }, cancellationToken: ct);
            return;
        }
        if (string.IsNullOrEmpty(pod.Spec.NodeName))
        {
            if (DaemonPlacement.TargetNode(pod) is { } node)
                await _client.CoreV1.CreateNamespacedPodBindingAsync(new V1Binding
                {
                    Metadata = new V1ObjectMeta { Name = pod.Name() },
                    Target = new V1ObjectReference { Kind = "Node", Name = node },
                }, pod.Name(), pod.Namespace(), cancellationToken: ct);
            return;
        }
        if (pod.Status?.Phase is "Succeeded" or "Failed")
            return;
        var ready = MarkReady || pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;
        if (pod.Status?.Phase == "Running" && pod.Status.Conditions?.Any(c => c.Type == "Ready" && c.Status == (ready ? "True" : "False")) == true)
            return;
        await SetStatusAsync(pod, "Running", ready, ct);
    }

    public Task SetStatusAsync(V1Pod pod, string phase, bool ready, CancellationToken ct = default) =>
        _client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(new
        {
            status = new
            {
                phase,
                podIP = "10.244.0.9",
                conditions = new[] { new { type = "Ready", status = ready ? "True" : "False", lastTransitionTime = DateTime.UtcNow } },
            },
        }, V1Patch.PatchType.MergePatch), pod.Name(), pod.Namespace(), cancellationToken: ct);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
