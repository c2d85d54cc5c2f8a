using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kybernet.Client;
using Kybernet.Net;

namespace Kybernet.Overlay.Subnets;

/// <summary>
/// flannel's kube subnet manager (--kube-subnet-mgr): the Node object is the lease. The subnet is the node's
/// spec.podCIDR, given by the node IPAM controller (`kybernet server --allocate-node-cidrs`); the manager never picks
/// one. It publishes the rest as flannel's annotations on the node: PREFIX/public-ip, PREFIX/backend-type,
/// PREFIX/backend-data (the backend's JSON, "null" when it has none) and PREFIX/kube-subnet-manager "true".
/// <para>
/// The network config comes from a file (net-conf.json), the same JSON the etcd mode keeps at PREFIX/config.
/// Acquire waits for this node's Node object (the kubelet creates it; the manager never does) and its podCIDR,
/// then writes the annotations with a merge patch on the node (not on /status: Kybernet's status subresource
/// changes only status). The previous subnet from subnet.env plays no part: the podCIDR is authoritative. There is
/// no TTL: renew re-reads the node, restores missing annotations and reports <see cref="SubnetLostException"/> if
/// the node is gone or its podCIDR changed. Release removes the four annotations.
/// </para>
/// <para>
/// The other nodes' leases are the nodes with a podCIDR and those annotations (kube-subnet-manager "true", an IPv4
/// public-ip), watched with list+watch: a node that appears or changes its lease data is Added, one that is deleted
/// or loses its annotations or podCIDR is Removed. Updates that change nothing a lease carries (status heartbeats)
/// make no batch. Revisions are the API's resourceVersions.
/// </para>
/// </summary>
public sealed class KubeSubnetManager : ISubnetManager
{
    private readonly IKubernetes _client;
    private readonly KubeSubnetManagerOptions _options;
    private readonly KubeAnnotations _keys;

    public KubeSubnetManager(IKubernetes client, KubeSubnetManagerOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.NodeName))
            throw new ArgumentException("the kube subnet manager needs this node's name", nameof(options));
        _client = client;
        _options = options;
        _keys = KubeAnnotations.For(options.AnnotationPrefix);
    }

    public KubeSubnetManagerOptions Options => _options;

    private string NodeName => _options.NodeName;

    public async Task<NetworkConfig> GetNetworkConfigAsync(CancellationToken cancellationToken = default)
    {
        string json;
        try
        {
            json = await File.ReadAllTextAsync(_options.NetConfPath, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NetworkConfigException("", $"cannot read {_options.NetConfPath} ({e.Message}); it holds the network config, e.g. {{\"Network\":\"10.244.0.0/16\",\"Backend\":{{\"Type\":\"vxlan\"}}}}");
        }
        return NetworkConfigParser.Parse(json);
    }

    public async Task<SubnetLease> AcquireLeaseAsync(IPAddress publicIp, string backendType, JsonObject backendData, IPNetwork? previousSubnet = null, CancellationToken cancellationToken = default)
    {
        // previousSubnet (subnet.env) is deliberately unused: in kube mode the node's podCIDR decides.
        var config = await GetNetworkConfigAsync(cancellationToken);
        var node = await WaitForPodCidrAsync(cancellationToken);
        var subnet = PodSubnet(node)!.Value;
        if (!(config.Network.Contains(subnet.BaseAddress) && subnet.PrefixLength >= config.Network.PrefixLength))
        {
            throw new NetworkConfigException("Network",
                $"node {NodeName}'s podCIDR {subnet} is not inside the network {config.Network} of {_options.NetConfPath} (the server's --cluster-cidr and net-conf.json's Network must agree)");
        }
        var lease = new SubnetLease(subnet, publicIp, backendType, (JsonObject)backendData.DeepClone(), Expiry());
        await PublishAsync(node, lease, cancellationToken);
        return lease;
    }

    public async Task<SubnetLease> RenewLeaseAsync(SubnetLease lease, CancellationToken cancellationToken = default)
    {
        V1Node node;
        try
        {
            node = await _client.CoreV1.ReadNodeAsync(NodeName, cancellationToken: cancellationToken);
        }
        catch (Exception e) when (KubeClient.IsNotFound(e))
        {
            throw new SubnetLostException(lease.Subnet, $"renew {lease.Subnet}: node {NodeName} was deleted");
        }
        if (PodSubnet(node) is not { } subnet || !subnet.Equals(lease.Subnet))
        {
            throw new SubnetLostException(lease.Subnet,
                $"renew {lease.Subnet}: node {NodeName}'s podCIDR is now {node.Spec?.PodCIDR ?? "unset"}");
        }
        await PublishAsync(node, lease, cancellationToken);
        return lease with { Expiration = Expiry() };
    }

    public async Task ReleaseLeaseAsync(SubnetLease lease, CancellationToken cancellationToken = default)
    {
        V1Node node;
        try
        {
            node = await _client.CoreV1.ReadNodeAsync(NodeName, cancellationToken: cancellationToken);
        }
        catch (Exception e) when (KubeClient.IsNotFound(e))
        {
            return;
        }
        var annotations = node.Metadata.Annotations ?? new Dictionary<string, string>();
        if (!annotations.TryGetValue(_keys.PublicIp, out var ip) || ip != lease.PublicIp.ToString())
            return; // not ours (any more)
        var remove = new JsonObject();
        foreach (var key in _keys.All)
            remove[key] = null;
        await PatchAnnotationsAsync(remove, cancellationToken);
    }

    public async IAsyncEnumerable<LeaseEventBatch> WatchLeasesAsync(long fromRevision = 0, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var known = new Dictionary<string, SubnetLease>(StringComparer.Ordinal);
        // From scratch, the first batch is the current set even when it is empty; resumed, only changes make batches.
        var first = fromRevision == 0;
        var seen = new HashSet<string>(StringComparer.Ordinal); // nodes a resumed watch has had news of
        var watch = ListWatches.Nodes(_client, log: _options.Log);
        await foreach (var update in watch.RunAsync(fromRevision > 0 ? (fromRevision - 1).ToString() : null, cancellationToken))
        {
            var events = new List<LeaseEvent>();
            switch (update)
            {
                case Listed<V1Node> listed:
                    var present = new Dictionary<string, SubnetLease>(StringComparer.Ordinal);
                    foreach (var node in listed.Items)
                    {
                        if (node.Name() != NodeName && ToLease(node) is { } lease)
                            present[node.Name()] = lease;
                    }
                    foreach (var gone in known.Keys.Where(k => !present.ContainsKey(k)).ToList())
                        Set(known, gone, null, events);
                    foreach (var (name, lease) in present)
                        Set(known, name, lease, events);
                    break;
                case Changed<V1Node> changed:
                    foreach (var (type, node) in changed.Changes)
                    {
                        if (node.Name() == NodeName)
                            continue;
                        if (type == WatchEventType.Deleted && !known.ContainsKey(node.Name()) && ToLease(node) is { } last)
                            events.Add(new LeaseEvent(LeaseEventType.Removed, last with { Expiration = DateTimeOffset.UtcNow })); // resumed: not seen before, but it was a lease
                        else if (fromRevision > 0 && seen.Add(node.Name()) && ToLease(node) is null && RemovedWhileResuming(node) is { } removed)
                            events.Add(new LeaseEvent(LeaseEventType.Removed, removed)); // resumed: it may have been a lease before this change
                        else
                            Set(known, node.Name(), type == WatchEventType.Deleted ? null : ToLease(node), events);
                    }
                    break;
            }
            if (events.Count > 0 || first)
                yield return new LeaseEventBatch(events, long.TryParse(update.ResourceVersion, out var revision) ? revision : 0);
            first = false;
        }
    }

    /// <summary>
    /// A resumed watch has not seen a node before the change it reports, and an event carries only the new object: a
    /// node that still has its podCIDR but no longer its annotations may have been a lease, so its subnet is reported
    /// Removed (a consumer that did not hold it ignores that). A podCIDR changed by hand while not watching is beyond
    /// what a resumed watch can tell; a fresh watch (revision 0, what the agent uses) lists everything.
    /// </summary>
    private SubnetLease? RemovedWhileResuming(V1Node node) =>
        node.Spec?.PodCIDR is { } cidr && System.Net.IPNetwork.TryParse(cidr, out var subnet)
            ? new SubnetLease(subnet, System.Net.IPAddress.Any, "", new System.Text.Json.Nodes.JsonObject(), DateTimeOffset.UtcNow)
            : null;

    /// <summary>Records <paramref name="lease"/> (null: none) as node <paramref name="name"/>'s and adds the events that change means.</summary>
    private static void Set(Dictionary<string, SubnetLease> known, string name, SubnetLease? lease, List<LeaseEvent> events)
    {
        known.TryGetValue(name, out var old);
        if (old is not null && (lease is null || !old.Subnet.Equals(lease.Subnet)))
        {
            known.Remove(name);
            events.Add(new LeaseEvent(LeaseEventType.Removed, old with { Expiration = DateTimeOffset.UtcNow }));
            old = null;
        }
        if (lease is not null && (old is null || !SameLease(old, lease)))
        {
            known[name] = lease;
            events.Add(new LeaseEvent(LeaseEventType.Added, lease));
        }
    }

    private static bool SameLease(SubnetLease a, SubnetLease b) =>
        a.Subnet.Equals(b.Subnet) && a.PublicIp.Equals(b.PublicIp) && a.BackendType == b.BackendType
        && a.BackendData.ToJsonString() == b.BackendData.ToJsonString();

    /// <summary>Waits, through list+watch of this one node, until it exists and has an IPv4 podCIDR; says what it waits for.</summary>
    private async Task<V1Node> WaitForPodCidrAsync(CancellationToken cancellationToken)
    {
        string? said = null;
        V1Node? node = null;
        var watch = ListWatches.Nodes(_client, $"metadata.name={NodeName}", _options.Log);
        await foreach (var update in watch.RunAsync(null, cancellationToken))
        {
            if (update is Listed<V1Node> listed)
                node = listed.Items.FirstOrDefault(n => n.Name() == NodeName);
            else if (update is Changed<V1Node> changed)
            {
                foreach (var (type, changedNode) in changed.Changes.Where(c => c.Object.Name() == NodeName))
                    node = type == WatchEventType.Deleted ? null : changedNode;
            }
            if (node is not null && PodSubnet(node) is not null)
                return node;
            var waiting = node is null
                ? $"overlay: waiting for node {NodeName} to be registered (the kubelet creates the Node object)"
                : $"overlay: waiting for node {NodeName} to get spec.podCIDR (the node IPAM controller assigns it: kybernet server --allocate-node-cidrs)";
            if (waiting != said)
                _options.Log.WriteLine(said = waiting);
        }
        cancellationToken.ThrowIfCancellationRequested();
        throw new InvalidOperationException($"the watch of node {NodeName} ended");
    }

    /// <summary>Writes the lease's annotations on the node, if they are not there already.</summary>
    private async Task PublishAsync(V1Node node, SubnetLease lease, CancellationToken cancellationToken)
    {
        var wanted = new Dictionary<string, string>
        {
            [_keys.PublicIp] = lease.PublicIp.ToString(),
            [_keys.BackendType] = lease.BackendType,
            [_keys.BackendData] = lease.BackendData.Count == 0 ? "null" : lease.BackendData.ToJsonString(),
            [_keys.KubeSubnetManager] = "true",
        };
        var have = node.Metadata.Annotations ?? new Dictionary<string, string>();
        if (wanted.All(w => have.TryGetValue(w.Key, out var v) && v == w.Value))
            return;
        var patch = new JsonObject();
        foreach (var (key, value) in wanted)
            patch[key] = value;
        await PatchAnnotationsAsync(patch, cancellationToken);
    }

    private async Task PatchAnnotationsAsync(JsonObject annotations, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = annotations } };
        await _client.CoreV1.PatchNodeAsync(new V1Patch(body.ToJsonString(), V1Patch.PatchType.MergePatch), NodeName, cancellationToken: cancellationToken);
    }

    /// <summary>Another node's lease, or null if the node does not carry one (no podCIDR, or not annotated by a kube subnet manager).</summary>
    private SubnetLease? ToLease(V1Node node)
    {
        var annotations = node.Metadata?.Annotations;
        if (annotations is null
            || !annotations.TryGetValue(_keys.KubeSubnetManager, out var managed) || managed != "true"
            || !annotations.TryGetValue(_keys.PublicIp, out var ipText)
            || !IPAddress.TryParse(ipText, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork
            || PodSubnet(node) is not { } subnet)
        {
            return null;
        }
        annotations.TryGetValue(_keys.BackendType, out var type);
        annotations.TryGetValue(_keys.BackendData, out var data);
        return new SubnetLease(subnet, ip, type ?? "", ParseData(data), Expiry());
    }

    private static JsonObject ParseData(string? json)
    {
        if (string.IsNullOrEmpty(json))
            return [];
        try
        {
            return JsonNode.Parse(json) as JsonObject ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    /// <summary>The node's IPv4 pod CIDR (spec.podCIDRs, else spec.podCIDR), as a network (host bits cleared).</summary>
    internal static IPNetwork? PodSubnet(V1Node node)
    {
        IEnumerable<string> texts = node.Spec?.PodCIDRs is { Count: > 0 } many ? many : node.Spec?.PodCIDR is { Length: > 0 } one ? [one] : [];
        foreach (var text in texts)
        {
            if (Ipv4Cidr.TryParse(text, out var cidr))
            {
                return cidr.Network.ToIPNetwork();
            }
        }
        return null;
    }

    private DateTimeOffset Expiry() => DateTimeOffset.UtcNow + _options.LeaseRefresh;
}
