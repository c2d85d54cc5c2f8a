using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kybernet.Client;
using Kybernet.Client.Informers;
using Kybernet.Client.Queues;
using Kybernet.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Controllers.NodeIpam;

/// <summary>
/// kube-controller-manager's node IPAM (--allocate-node-cidrs, the range allocator): every node without
/// spec.podCIDR gets the lowest free node CIDR of the cluster CIDR, written to spec.podCIDR and spec.podCIDRs.
/// <para>
/// On the shared node informer and a work queue of node names, with one worker, so one loop makes every decision and no
/// CIDR is ever given to two nodes. Before handing out anything it waits for the informer's first list and marks every
/// CIDR the nodes already have (oldest node first: if two nodes claim one CIDR, the first holds it). A podCIDR once seen
/// stays its node's until the node is deleted (upstream makes the field immutable), so a cache that lags behind our own
/// writes never frees anything. Each write carries the node's resourceVersion, so a node that changed meanwhile is
/// decided again from its new state, never patched blindly. A deleted node's CIDR is free at once, and nodes still
/// waiting are served from it. A failed write is retried with the queue's backoff.
/// </para>
/// <para>
/// When the range is exhausted the node is left without a podCIDR: one log line and one Warning Event
/// (reason CIDRNotAvailable, on the node, in namespace default) per node until it gets one.
/// </para>
/// </summary>
public sealed class NodeIpamController : IController
{
    public const string ExhaustedReason = "CIDRNotAvailable";
    public const string Component = "node-ipam-controller";

    private readonly IKubernetes _client;
    private readonly SharedInformer<V1Node> _nodes;
    private readonly NodeIpamOptions _options;
    private readonly ILogger _log;

    public NodeIpamController(InformerFactory informers, NodeIpamOptions options, ILogger? log = null)
    {
        options.Validate();
        _client = informers.Client;
        _nodes = informers.Nodes();
        _options = options;
        _log = log ?? NullLogger.Instance;
    }

    public string Name => "node-ipam";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var state = new State(new CidrSet(_options.ClusterCidr, _options.NodeCidrMaskSize));
        _log.LogInformation("allocating /{MaskSize} node CIDRs from {ClusterCidr} ({Count} in all)", _options.NodeCidrMaskSize, _options.ClusterCidr, state.Cidrs.Count);
        using var queue = new WorkQueue<string>(new WorkQueueOptions { BaseDelay = _options.RetryInterval, MaxDelay = _options.RetryInterval * 30 });

        // Every CIDR the nodes hold is marked before any is handed out; then the waiting nodes, oldest first.
        await _nodes.WaitForSyncAsync(cancellationToken);
        var nodes = _nodes.Cache.List().OrderBy(n => n.Metadata.CreationTimestamp ?? DateTime.MinValue).ThenBy(n => n.Name(), StringComparer.Ordinal).ToList();
        foreach (var node in nodes)
            Observe(state, node);
        foreach (var node in nodes)
            queue.Add(node.Name());
        using var handler = _nodes.AddHandler(InformerHandler<V1Node>.OnAny(node => queue.Add(node.Name())));

        await QueueWorkers.RunAsync(queue, workers: 1, (name, ct) => ReconcileAsync(state, queue, name, ct), _log, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>What one worker knows; only that worker touches it.</summary>
    private sealed class State(CidrSet cidrs)
    {
        public CidrSet Cidrs { get; } = cidrs;
        /// <summary>The uid each node was last seen with: a new uid under a known name is a new node.</summary>
        public Dictionary<string, string> Uids { get; } = new(StringComparer.Ordinal);
        /// <summary>Nodes told (log + Event) that no CIDR is left for them.</summary>
        public HashSet<string> Reported { get; } = new(StringComparer.Ordinal);
        /// <summary>"node podCIDR" pairs already logged as outside the range or overlapping, so each is said once.</summary>
        public HashSet<string> Noted { get; } = new(StringComparer.Ordinal);
        /// <summary>The podCIDRs each node was last seen with (or given by us) and marked for ("10.244.1.0/24").</summary>
        public Dictionary<string, string> Claims { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>Decides one node: forget it if gone, mark what it holds, or give it a CIDR.</summary>
    private async Task ReconcileAsync(State state, WorkQueue<string> queue, string name, CancellationToken ct)
    {
        if (_nodes.Cache.Get(name) is not { } node)
        {
            if (Forget(state, name))
            {
                // Its CIDR is free: the nodes still waiting for one get their turn.
                foreach (var waiting in _nodes.Cache.List().Where(n => PodCidrs(n).Count == 0))
                    queue.Add(waiting.Name());
            }
            return;
        }
        if (!Observe(state, node) || node.Metadata.DeletionTimestamp is not null)
            return;
        await AssignAsync(state, node, ct);
    }

    /// <summary>
    /// Marks what the node holds. False when there is nothing to assign: it has a podCIDR, or we gave it one that the
    /// cache does not show yet (an older view than our own patch: the podCIDR is not going away).
    /// </summary>
    private bool Observe(State state, V1Node node)
    {
        var name = node.Name();
        if (state.Uids.TryGetValue(name, out var uid) && uid != node.Uid())
            Forget(state, name); // deleted and made again while we were not looking: a new node
        state.Uids[name] = node.Uid();
        var cidrs = PodCidrs(node);
        if (cidrs.Count == 0)
            return !state.Claims.ContainsKey(name);
        state.Reported.Remove(name);
        var claim = string.Join(",", cidrs);
        if (state.Claims.TryGetValue(name, out var before) && before == claim)
            return false; // already marked (most updates to a node are about other fields)
        state.Claims[name] = claim;
        if (state.Cidrs.Release(name)) // its podCIDR changed by hand: mark the new one
            Reoccupy(state);
        foreach (var cidr in cidrs)
        {
            var others = state.Cidrs.Occupy(cidr, name);
            if (others is null)
                Note(state, name, cidr, $"node {name}'s podCIDR {cidr} is outside the cluster CIDR {state.Cidrs.Cluster}: left as it is");
            else if (others.Count > 0)
                Note(state, name, cidr, $"node {name}'s podCIDR {cidr} overlaps what {string.Join(", ", others)} already hold{(others.Count == 1 ? "s" : "")}: left as it is");
        }
        return false;
    }

    private void Note(State state, string node, IPNetwork cidr, string message)
    {
        if (state.Noted.Add($"{node} {cidr}"))
            _log.LogWarning("{Message}", message);
    }

    /// <summary>Forgets a deleted node; true if that freed a CIDR.</summary>
    private bool Forget(State state, string name)
    {
        state.Uids.Remove(name);
        state.Claims.Remove(name);
        state.Reported.Remove(name);
        state.Noted.RemoveWhere(n => n.StartsWith(name + " ", StringComparison.Ordinal));
        var held = state.Cidrs.HeldBy(name);
        if (!state.Cidrs.Release(name))
            return false;
        Reoccupy(state);
        _log.LogInformation("node {Node} is gone: released {Cidrs}", name, string.Join(", ", held));
        return true;
    }

    /// <summary>
    /// After a release, marks every remaining claim again: a node whose podCIDR overlapped the released one (set by
    /// hand, or by another allocator) was never marked for it, and must hold it now, or it would be given out twice.
    /// </summary>
    private static void Reoccupy(State state)
    {
        foreach (var (node, claim) in state.Claims)
            foreach (var cidr in claim.Split(','))
                state.Cidrs.Occupy(IPNetwork.Parse(cidr), node);
    }

    /// <summary>Gives the node the lowest free CIDR; throws (the queue retries) if the write failed for another reason than a newer node.</summary>
    private async Task AssignAsync(State state, V1Node node, CancellationToken ct)
    {
        var name = node.Name();
        if (state.Cidrs.AllocateLowestFree(name) is not { } cidr)
        {
            if (state.Reported.Add(name))
                await ReportExhaustedAsync(state, node, ct);
            return;
        }
        try
        {
            var patch = new JsonObject
            {
                // A precondition: if the node changed since we looked, decide again from what it is now.
                ["metadata"] = new JsonObject { ["resourceVersion"] = node.ResourceVersion() },
                ["spec"] = new JsonObject { ["podCIDR"] = cidr.ToString(), ["podCIDRs"] = new JsonArray(cidr.ToString()) },
            };
            await _client.CoreV1.PatchNodeAsync(new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), name, cancellationToken: ct);
            state.Claims[name] = cidr.ToString();
            state.Reported.Remove(name);
            _log.LogInformation("node {Node}: podCIDR {Cidr}", name, cidr);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            state.Cidrs.Release(name);
            if (KubeClient.IsConflict(e) || KubeClient.IsNotFound(e))
                return; // changed or deleted meanwhile: its informer event is on the way and decides
            throw new InvalidOperationException($"assigning {cidr} to node {name} failed: {KubeClient.Describe(e)}", e);
        }
    }

    private async Task ReportExhaustedAsync(State state, V1Node node, CancellationToken ct)
    {
        var message = $"no free /{state.Cidrs.MaskSize} left in cluster CIDR {state.Cidrs.Cluster} for node {node.Name()}: all {state.Cidrs.Count} are assigned; it gets one when a node is deleted";
        _log.LogWarning("{Message}", message);
        var now = DateTime.UtcNow;
        try
        {
            await _client.CoreV1.CreateNamespacedEventAsync(new Corev1Event
            {
                Metadata = new V1ObjectMeta { Name = $"{node.Name()}.{now.Ticks:x}", NamespaceProperty = "default" },
                InvolvedObject = new V1ObjectReference { ApiVersion = "v1", Kind = "Node", Name = node.Name(), Uid = node.Uid() },
                Reason = ExhaustedReason,
                Message = message,
                Type = "Warning",
                Source = new V1EventSource { Component = Component },
                ReportingComponent = Component,
                FirstTimestamp = now,
                LastTimestamp = now,
                Count = 1,
            }, "default", cancellationToken: ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            _log.LogWarning("could not record the {Reason} event for node {Node}: {Error}", ExhaustedReason, node.Name(), KubeClient.Describe(e));
        }
    }

    /// <summary>A node's IPv4 pod CIDRs: spec.podCIDRs, or spec.podCIDR when that is all there is.</summary>
    internal static IReadOnlyList<IPNetwork> PodCidrs(V1Node node)
    {
        IEnumerable<string> texts = node.Spec?.PodCIDRs is { Count: > 0 } many ? many : node.Spec?.PodCIDR is { Length: > 0 } one ? [one] : [];
        return [.. texts.Select(t => Ipv4Cidr.TryParse(t, out var cidr) ? cidr.Network.ToIPNetwork() : (IPNetwork?)null).OfType<IPNetwork>()];
    }
}
