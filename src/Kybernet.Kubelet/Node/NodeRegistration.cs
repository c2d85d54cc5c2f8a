using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kybernet.Client;
using Microsoft.Extensions.Logging;

namespace Kybernet.Kubelet.Node;

/// <summary>
/// Registers the node as upstream's kubelet does: creates the Node with its default labels and status; when it already
/// exists (a restart, or a node object made beforehand), patches only the labels the kubelet owns, so what others set
/// (spec.podCIDR from node IPAM, the overlay's annotations, users' labels and taints) stays. Retries until it succeeds,
/// backing off from 100 ms to 7 s (upstream's numbers), and logs each failure.
/// </summary>
public sealed class NodeRegistration(IKubernetes client, NodeOptions options, MachineFacts facts, ILogger logger, TimeProvider? time = null)
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LongestRetry = TimeSpan.FromSeconds(7);

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Registers, retrying until done or cancelled; returns the Node as the server has it.</summary>
    public async Task<V1Node> RegisterAsync(CancellationToken cancellationToken)
    {
        var delay = FirstRetry;
        while (true)
        {
            try
            {
                return await RegisterOnceAsync(cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("register node {Node}: {Error}; retrying in {Delay}", options.NodeName, KubeClient.Describe(e), delay);
                await Task.Delay(delay, _time, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LongestRetry.Ticks));
            }
        }
    }

    /// <summary>One attempt: create, or bring an existing Node's kubelet-owned labels up to date.</summary>
    public async Task<V1Node> RegisterOnceAsync(CancellationToken cancellationToken)
    {
        var labels = NodeDescription.Labels(options, facts);
        try
        {
            var created = await client.CoreV1.CreateNodeAsync(new V1Node
            {
                ApiVersion = "v1",
                Kind = "Node",
                Metadata = new V1ObjectMeta { Name = options.NodeName, Labels = labels },
                Spec = new V1NodeSpec(),
                Status = NodeDescription.Status(options, facts),
            }, cancellationToken: cancellationToken);
            logger.LogInformation("registered node {Node} (uid {Uid})", options.NodeName, created.Metadata.Uid);
            return created;
        }
        catch (Exception e) when (KubeClient.IsConflict(e))
        {
            // It exists: keep it (its uid, spec and others' metadata) and update only what the kubelet owns.
        }

        var existing = await client.CoreV1.ReadNodeAsync(options.NodeName, cancellationToken: cancellationToken);
        var stale = labels.Where(l => existing.Metadata.Labels?.TryGetValue(l.Key, out var value) != true || value != l.Value).ToList();
        if (stale.Count == 0)
        {
            logger.LogInformation("node {Node} was already registered (uid {Uid})", options.NodeName, existing.Metadata.Uid);
            return existing;
        }
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject { ["labels"] = new JsonObject(stale.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value))) },
        };
        var patched = await client.CoreV1.PatchNodeAsync(new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), options.NodeName, cancellationToken: cancellationToken);
        logger.LogInformation("node {Node} was already registered (uid {Uid}); updated its labels {Labels}",
            options.NodeName, patched.Metadata.Uid, string.Join(", ", stale.Select(l => $"{l.Key}={l.Value}")));
        return patched;
    }
}
