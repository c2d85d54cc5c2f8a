namespace Kybernet.Controllers.Replication;

/// <summary>Settings of the ReplicaSet and ReplicationController controllers (kube-controller-manager's flags).</summary>
public sealed record ReplicationOptions
{
    /// <summary>--concurrent-replicaset-syncs / --concurrent-rc-syncs: owners synced at once, per kind.</summary>
    public int Workers { get; init; } = 5;

    /// <summary>Most pods created or deleted for one owner in one sync (upstream's burstReplicas).</summary>
    public int BurstReplicas { get; init; } = 500;
}
