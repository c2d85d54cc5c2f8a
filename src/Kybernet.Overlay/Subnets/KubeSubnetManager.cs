using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using Kybernet.Client;
using Kybernet.Client.Informers;
using Kybernet.Net;
using Microsoft.Extensions.Logging;

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
        var resumed = fromRevision > 0;
        var informer = new SharedInformer<V1Node>(ListWatches.Nodes(_client, log: _options.Log));
        // Lease events with the resourceVersion of the node change that made them, in the order they happened.
        var events = Channel.CreateUnbounded<(LeaseEvent Event, long Revision)>(new UnboundedChannelOptions { SingleReader = true });
        var seen = new HashSet<string>(StringComparer.Ordinal); // nodes a resumed watch has had news of
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var run = informer.RunAsync(resumed ? (fromRevision - 1).ToString() : null, stop.Token);
        IDisposable? handler = null;
        try
        {
            await informer.WaitForSyncAsync(cancellationToken);
            handler = informer.AddHandler(new InformerHandler<V1Node>(
                OnAdd: node => Changed(null, node, added: true),
                OnUpdate: (before, after) => Changed(before, after),
                OnDelete: node => Changed(node, null)));
            // From scratch, the first batch is the current set (the handler's catch-up adds), even when it is empty;
            // resumed, only changes make batches.
            if (!resumed)
                yield return new LeaseEventBatch(Drain(out _), Revision(informer.LastResourceVersion));
            var last = Revision(informer.LastResourceVersion);
            while (await events.Reader.WaitToReadAsync(cancellationToken))
            {
                var batch = Drain(out var revision);
                // A relist reports a deletion with the node's last resourceVersion, older than the list's: batches still go forward.
                last = Math.Max(last, revision);
                if (batch.Count > 0)
                    yield return new LeaseEventBatch(batch, last);
            }
        }
        finally
        {
            handler?.Dispose();
            await stop.CancelAsync();
            await run;
        }

        List<LeaseEvent> Drain(out long revision)
        {
            revision = 0;
            var batch = new List<LeaseEvent>();
            while (events.Reader.TryRead(out var item))
            {
                batch.Add(item.Event);
                revision = Math.Max(revision, item.Revision);
            }
            return batch;
        }

        // What a node's change means for its lease: removed, added or replaced, or nothing (status heartbeats, labels).
        void Changed(V1Node? before, V1Node? after, bool added = false)
        {
            var node = after ?? before!;
            if (node.Name() == NodeName)
                return;
            var revision = Revision(node.ResourceVersion());
            var old = before is null ? null : ToLease(before);
            var now = after is null ? null : ToLease(after);
            if (resumed && added && seen.Add(node.Name()) && now is null && RemovedWhileResuming(node) is { } removed)
            {
                events.Writer.TryWrite((new LeaseEvent(LeaseEventType.Removed, removed), revision)); // resumed: it may have been a lease before this change
                return;
            }
            seen.Add(node.Name());
            if (old is not null && (now is null || !old.Subnet.Equals(now.Subnet)))
                events.Writer.TryWrite((new LeaseEvent(LeaseEventType.Removed, old with { Expiration = DateTimeOffset.UtcNow }), revision));
            if (now is not null && (old is null || !old.Subnet.Equals(now.Subnet) || !SameLease(old, now)))
                events.Writer.TryWrite((new LeaseEvent(LeaseEventType.Added, now), revision));
        }
    }

    private static long Revision(string? resourceVersion) => long.TryParse(resourceVersion, out var revision) ? revision : 0;

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

    private static bool SameLease(SubnetLease a, SubnetLease b) =>
        a.Subnet.Equals(b.Subnet) && a.PublicIp.Equals(b.PublicIp) && a.BackendType == b.BackendType
        && a.BackendData.ToJsonString() == b.BackendData.ToJsonString();

    /// <summary>Waits, through an informer of this one node, until it exists and has an IPv4 podCIDR; says what it waits for.</summary>
    private async Task<V1Node> WaitForPodCidrAsync(CancellationToken cancellationToken)
    {
        var informer = new SharedInformer<V1Node>(ListWatches.Nodes(_client, $"metadata.name={NodeName}", _options.Log));
        using var changed = new SemaphoreSlim(0);
        using var handler = informer.AddHandler(InformerHandler<V1Node>.OnAny(_ => changed.Release()));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var run = informer.RunAsync(null, stop.Token);
        try
        {
            await informer.WaitForSyncAsync(cancellationToken);
            string? said = null;
            while (true)
            {
                var node = informer.Cache.Get(NodeName);
                if (node is not null && PodSubnet(node) is not null)
                    return node;
                var waiting = node is null
                    ? $"waiting for node {NodeName} to be registered (the kubelet creates the Node object)"
                    : $"waiting for node {NodeName} to get spec.podCIDR (the node IPAM controller assigns it: kybernet server --allocate-node-cidrs)";
                if (waiting != said)
                    _options.Log.LogInformation("{Waiting}", said = waiting);
                await changed.WaitAsync(cancellationToken);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await run;
        }
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
            // Another node's malformed backend-data: its lease is still listed, and the backend names it as unusable.
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
