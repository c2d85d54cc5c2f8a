namespace Kybernet.Store;

/// <summary>
/// A key's current value with etcd's bookkeeping: the revision that created the key, the revision
/// that last changed it, how many times it changed since creation, and the lease it is attached to (0: none).
/// </summary>
public sealed record KeyValue(string Key, ReadOnlyMemory<byte> Value, long CreateRevision, long ModRevision, long Version, long Lease = 0);
