using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kybernet.Client;
using Microsoft.Extensions.Logging;

namespace Kybernet.Kubelet.Node;

/// <summary>
/// Keeps the Node's status what the kubelet says it is. Every check interval (10 s) it computes the status and compares
/// it, heartbeat times aside, with the server's copy; it writes when something differs, and otherwise once per report
/// interval (5 min), as upstream since node leases took over the heartbeat. <see cref="Trigger"/> checks at once (the
/// runtime or the overlay changed). Writes are strategic merge patches of nodes/status holding only the kubelet's
/// fields: conditions merge by type, so others' conditions stay, and spec.podCIDR and annotations are never sent.
/// A Node deleted under the kubelet is registered again through <paramref name="reRegister"/>.
/// </summary>
public sealed class NodeStatusReporter(
    IKubernetes client,
    NodeOptions options,
    MachineFacts facts,
    Func<CancellationToken, Task<NodeSignals>> readSignals,
    Func<CancellationToken, Task<V1Node>> reRegister,
    ILogger logger,
    TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private TaskCompletionSource _kick = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DateTimeOffset? _lastWrite;

    /// <summary>The number of status writes so far (for tests and metrics).</summary>
    public int Writes { get; private set; }

    /// <summary>Asks for a check now rather than at the next interval.</summary>
    public void Trigger() => Volatile.Read(ref _kick).TrySetResult();

    /// <summary>Runs until cancelled; a cancellation ends it quietly, also in the middle of a request.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await LoopAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            // A fresh kick before the check: a trigger while it runs asks for one more check, and none is lost.
            var kick = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _kick, kick);
            try
            {
                await SyncAsync(cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("update status of node {Node}: {Error}; trying again in {Interval}", options.NodeName, KubeClient.Describe(e), options.StatusCheckInterval);
            }
            using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var interval = Task.Delay(options.StatusCheckInterval, _time, waiting.Token);
            await Task.WhenAny(kick.Task, interval);
            await waiting.CancelAsync();
        }
    }

    /// <summary>One check; returns whether it wrote the status.</summary>
    public async Task<bool> SyncAsync(CancellationToken cancellationToken)
    {
        V1Node node;
        try
        {
            node = await client.CoreV1.ReadNodeAsync(options.NodeName, cancellationToken: cancellationToken);
        }
        catch (Exception e) when (KubeClient.IsNotFound(e))
        {
            logger.LogWarning("node {Node} no longer exists; registering it again", options.NodeName);
            node = await reRegister(cancellationToken);
        }

        var signals = await ReadSignalsAsync(cancellationToken);
        var now = _time.GetUtcNow();
        // Kubernetes times have whole seconds; truncating here keeps what is compared equal to what the server stores.
        var stamp = new DateTime(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
        var desired = NodeDescription.Status(options, facts);
        desired.Conditions = NodeConditions.Build(signals, node.Status?.Conditions, stamp);

        // Only the conditions the kubelet writes are compared: NetworkUnavailable is another's until the overlay reports here.
        var owned = desired.Conditions.Select(c => c.Type).ToHashSet(StringComparer.Ordinal);
        var changed = Fingerprint(desired, owned) != Fingerprint(node.Status, owned);
        var due = _lastWrite is not { } last || now - last >= options.StatusReportInterval;
        if (!changed && !due)
            return false;

        var patch = new JsonObject { ["status"] = JsonNode.Parse(KubernetesJson.Serialize(desired)) };
        await client.CoreV1.PatchNodeStatusAsync(new V1Patch(patch.ToJsonString(), V1Patch.PatchType.StrategicMergePatch), options.NodeName, cancellationToken: cancellationToken);
        _lastWrite = now;
        Writes++;
        var ready = desired.Conditions.First(c => c.Type == NodeConditions.Ready);
        logger.Log(changed ? LogLevel.Information : LogLevel.Debug, "node {Node} status written ({Why}): Ready={Ready} {Reason} {Message}",
            options.NodeName, changed ? "changed" : "report interval", ready.Status, ready.Reason, ready.Message);
        return true;
    }

    private async Task<NodeSignals> ReadSignalsAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await readSignals(cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("node {Node}: cannot read the runtime's readiness: {Error}", options.NodeName, e.Message);
            return new NodeSignals([$"container runtime status check may not have completed yet: {e.Message}"], null);
        }
    }

    /// <summary>The kubelet's part of a status as JSON, heartbeat and transition times left out: equal means nothing to write.</summary>
    private static string Fingerprint(V1NodeStatus? status, HashSet<string> ownedConditions)
    {
        if (status is null)
            return "";
        var owned = new V1NodeStatus
        {
            Addresses = status.Addresses,
            Capacity = Sorted(status.Capacity),
            Allocatable = Sorted(status.Allocatable),
            NodeInfo = status.NodeInfo,
            DaemonEndpoints = status.DaemonEndpoints,
            Conditions = status.Conditions?
                .Where(c => ownedConditions.Contains(c.Type))
                .OrderBy(c => c.Type, StringComparer.Ordinal)
                .Select(c => new V1NodeCondition { Type = c.Type, Status = c.Status, Reason = c.Reason, Message = c.Message })
                .ToList(),
        };
        return KubernetesJson.Serialize(owned);
    }

    private static SortedDictionary<string, ResourceQuantity>? Sorted(IDictionary<string, ResourceQuantity>? resources) =>
        resources is null ? null : new(resources, StringComparer.Ordinal);
}
