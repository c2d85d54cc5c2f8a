using k8s.Models;

namespace Kybernet.Controllers.NodeLifecycle;

/// <summary>
/// When each node was last seen alive, by this controller's own clock (upstream's nodeHealthMap): a heartbeat is a newer
/// Lease renewTime or a changed Ready lastHeartbeatTime, and it counts at the moment it is observed, so a node's clock
/// being off does not matter. A node seen for the first time counts from its creation if it never posted a Ready
/// condition (a just-created node gets the whole grace period), else from now (a controller that just became leader
/// gives every node a full grace period rather than trusting times it did not observe).
/// </summary>
internal sealed class NodeHealth
{
    private readonly Dictionary<string, Entry> _nodes = new(StringComparer.Ordinal);

    private sealed class Entry
    {
        public required string Uid { get; init; }
        public DateTime? ReadyHeartbeat { get; set; }
        public DateTime? LeaseRenewed { get; set; }
        public DateTimeOffset Probe { get; set; }
    }

    /// <summary>Folds in what the node and its lease say now; returns when it was last seen alive.</summary>
    public DateTimeOffset Observe(V1Node node, V1Lease? lease, DateTimeOffset now)
    {
        var heartbeat = Ready(node)?.LastHeartbeatTime;
        var renewed = lease?.Spec?.RenewTime;
        var name = node.Metadata.Name;
        if (!_nodes.TryGetValue(name, out var entry) || entry.Uid != node.Metadata.Uid)
        {
            var created = node.Metadata.CreationTimestamp is { } c ? new DateTimeOffset(Times.Utc(c)) : now;
            entry = new Entry { Uid = node.Metadata.Uid, ReadyHeartbeat = heartbeat, LeaseRenewed = renewed, Probe = Ready(node) is null ? created : now };
            _nodes[name] = entry;
            return entry.Probe;
        }
        if (heartbeat != entry.ReadyHeartbeat)
        {
            entry.ReadyHeartbeat = heartbeat;
            entry.Probe = now;
        }
        if (renewed is { } r && (entry.LeaseRenewed is not { } before || r > before))
        {
            entry.LeaseRenewed = r;
            entry.Probe = now;
        }
        return entry.Probe;
    }

    public void Forget(string name) => _nodes.Remove(name);

    public static V1NodeCondition? Ready(V1Node node) => node.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready");
}
