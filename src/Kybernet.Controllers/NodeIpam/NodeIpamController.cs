using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kybernet.Client;
using Kybernet.Net;

namespace Kybernet.Controllers.NodeIpam;

/// <summary>
/// kube-controller-manager's node IPAM (--allocate-node-cidrs, the range allocator): every node without
/// spec.podCIDR gets the lowest free node CIDR of the cluster CIDR, written to spec.podCIDR and spec.podCIDRs.
/// <para>
/// Level-triggered: it lists the nodes (at start, and again whenever its watch cannot resume), marks every CIDR
/// the nodes already have as taken, and only then hands out free ones. A podCIDR once seen stays its node's until the
/// node is deleted (upstream makes the field immutable), so a list that lags behind our own writes never frees
/// anything. One loop makes every decision, so no CIDR is ever given to two nodes; each write carries the node's
/// resourceVersion, so a node that changed meanwhile is decided again from its new state, never patched blindly.
/// A deleted node's CIDR is free at once, and nodes still waiting are served from it.
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
    private readonly NodeIpamOptions _options;
    private readonly TextWriter _log;

    public NodeIpamController(IKubernetes client, NodeIpamOptions options, TextWriter? log = null)
    {
        options.Validate();
        _client = client;
        _options = options;
        _log = log ?? TextWriter.Null;
    }

    public string Name => "node-ipam";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var state = new State(new CidrSet(_options.ClusterCidr, _options.NodeCidrMaskSize));
        _log.WriteLine($"{Name}: allocating /{_options.NodeCidrMaskSize} node CIDRs from {_options.ClusterCidr} ({state.Cidrs.Count} in all)");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var updates = ListWatches.Nodes(_client, log: _log).RunAsync(null, stop.Token).GetAsyncEnumerator(stop.Token);
        var next = updates.MoveNextAsync().AsTask();
        try
        {
            var retry = false;
            while (true)
            {
                if (retry)
                {
                    // Something failed: try again after a while, or sooner if the world changes.
                    var delay = Task.Delay(_options.RetryInterval, cancellationToken);
                    if (await Task.WhenAny(next, delay) == delay)
                    {
                        await delay;
                        retry = await SyncAsync(state, cancellationToken);
                        continue;
                    }
                }
                if (!await next)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    return;
                }
                Observe(state, updates.Current);
                next = updates.MoveNextAsync().AsTask();
                retry = await SyncAsync(state, cancellationToken);
            }
        }
        finally
        {
            await stop.CancelAsync();
            try { await next; } catch (Exception) { }
            await updates.DisposeAsync();
        }
    }

    private sealed class State(CidrSet cidrs)
    {
        public CidrSet Cidrs { get; } = cidrs;
        /// <summary>Every node by name, as last seen or as our own patch returned it.</summary>
        public Dictionary<string, V1Node> Nodes { get; } = new(StringComparer.Ordinal);
        /// <summary>Nodes told (log + Event) that no CIDR is left for them.</summary>
        public HashSet<string> Reported { get; } = new(StringComparer.Ordinal);
        /// <summary>"node podCIDR" pairs already logged as outside the range or overlapping, so each is said once.</summary>
        public HashSet<string> Noted { get; } = new(StringComparer.Ordinal);
        /// <summary>The podCIDRs each node was last seen with and marked for ("10.244.1.0/24").</summary>
        public Dictionary<string, string> Claims { get; } = new(StringComparer.Ordinal);
    }

    private void Observe(State state, WatchUpdate<V1Node> update)
    {
        switch (update)
        {
            case Listed<V1Node> listed:
                var names = listed.Items.Select(n => n.Name()).ToHashSet(StringComparer.Ordinal);
                foreach (var gone in state.Nodes.Keys.Where(n => !names.Contains(n)).ToList())
                    Forget(state, gone);
                // Oldest first: if two nodes claim one CIDR, the first one holds it.
                foreach (var node in listed.Items.OrderBy(n => n.Metadata.CreationTimestamp ?? DateTime.MinValue).ThenBy(n => n.Name(), StringComparer.Ordinal))
                    Upsert(state, node);
                break;
            case Changed<V1Node> changed:
                foreach (var (type, node) in changed.Changes)
                {
                    if (type == WatchEventType.Deleted)
                        Forget(state, node.Name());
                    else
                        Upsert(state, node);
                }
                break;
        }
    }

    private void Upsert(State state, V1Node node)
    {
        var name = node.Name();
        if (state.Nodes.TryGetValue(name, out var known))
        {
            if (known.Uid() != node.Uid())
                Forget(state, name); // deleted and made again while we were not watching: a new node
            else if (PodCidrs(node).Count == 0 && PodCidrs(known).Count > 0)
                return; // an older view than the one we hold (our own patch): the podCIDR is not going away
        }
        state.Nodes[name] = node;
        var cidrs = PodCidrs(node);
        if (cidrs.Count == 0)
            return;
        state.Reported.Remove(name);
        var claim = string.Join(",", cidrs);
        if (state.Claims.TryGetValue(name, out var before) && before == claim)
            return; // already marked (most updates to a node are about other fields)
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
    }

    private void Note(State state, string node, IPNetwork cidr, string message)
    {
        if (state.Noted.Add($"{node} {cidr}"))
            _log.WriteLine($"{Name}: {message}");
    }

    private void Forget(State state, string name)
    {
        state.Nodes.Remove(name);
        state.Claims.Remove(name);
        state.Reported.Remove(name);
        state.Noted.RemoveWhere(n => n.StartsWith(name + " ", StringComparison.Ordinal));
        var held = state.Cidrs.HeldBy(name);
        if (state.Cidrs.Release(name))
        {
            Reoccupy(state);
            _log.WriteLine($"{Name}: node {name} is gone: released {string.Join(", ", held)}");
        }
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

    /// <summary>Gives a CIDR to every node still without one, oldest first. True if something failed and needs a retry.</summary>
    private async Task<bool> SyncAsync(State state, CancellationToken ct)
    {
        var retry = false;
        var waiting = state.Nodes.Values
            .Where(n => PodCidrs(n).Count == 0 && n.Metadata.DeletionTimestamp is null)
            .OrderBy(n => n.Metadata.CreationTimestamp ?? DateTime.MinValue).ThenBy(n => n.Name(), StringComparer.Ordinal)
            .ToList();
        foreach (var node in waiting)
        {
            var name = node.Name();
            if (state.Cidrs.AllocateLowestFree(name) is not { } cidr)
            {
                if (state.Reported.Add(name))
                    await ReportExhaustedAsync(state, node, ct);
                continue;
            }
            try
            {
                var patch = new JsonObject
                {
                    // A precondition: if the node changed since we looked, decide again from what it is now.
                    ["metadata"] = new JsonObject { ["resourceVersion"] = node.ResourceVersion() },
                    ["spec"] = new JsonObject { ["podCIDR"] = cidr.ToString(), ["podCIDRs"] = new JsonArray(cidr.ToString()) },
                };
                var patched = await _client.CoreV1.PatchNodeAsync(new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), name, cancellationToken: ct);
                state.Nodes[name] = patched;
                state.Claims[name] = cidr.ToString();
                state.Reported.Remove(name);
                _log.WriteLine($"{Name}: node {name}: podCIDR {cidr}");
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                state.Cidrs.Release(name);
                if (KubeClient.IsConflict(e) || KubeClient.IsNotFound(e))
                    continue; // changed or deleted meanwhile: its watch event is on the way and decides
                _log.WriteLine($"{Name}: assigning {cidr} to node {name} failed (will retry): {KubeClient.Describe(e)}");
                retry = true;
            }
        }
        return retry;
    }

    private async Task ReportExhaustedAsync(State state, V1Node node, CancellationToken ct)
    {
        var message = $"no free /{state.Cidrs.MaskSize} left in cluster CIDR {state.Cidrs.Cluster} for node {node.Name()}: all {state.Cidrs.Count} are assigned; it gets one when a node is deleted";
        _log.WriteLine($"{Name}: {message}");
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
            _log.WriteLine($"{Name}: could not record the {ExhaustedReason} event for node {node.Name()}: {KubeClient.Describe(e)}");
        }
    }

    /// <summary>A node's IPv4 pod CIDRs: spec.podCIDRs, or spec.podCIDR when that is all there is.</summary>
    internal static IReadOnlyList<IPNetwork> PodCidrs(V1Node node)
    {
        IEnumerable<string> texts = node.Spec?.PodCIDRs is { Count: > 0 } many ? many : node.Spec?.PodCIDR is { Length: > 0 } one ? [one] : [];
        return [.. texts.Select(t => Ipv4Cidr.TryParse(t, out var cidr) ? cidr.Network.ToIPNetwork() : (IPNetwork?)null).OfType<IPNetwork>()];
    }
}
