namespace Kybernet.Store;

/// <summary>The common shapes of transaction, as one-liners (what an API server's storage layer needs).</summary>
public static class StoreExtensions
{
    public static async Task<KeyValue?> GetAsync(this IKeyValueStore store, string key, long revision = 0, CancellationToken cancellationToken = default) =>
        (await store.RangeAsync(KeyRange.Single(key), revision, 0, cancellationToken)).Kvs.FirstOrDefault();

    /// <summary>Puts unconditionally; returns the new revision.</summary>
    public static async Task<long> PutAsync(this IKeyValueStore store, string key, ReadOnlyMemory<byte> value, long lease = 0, CancellationToken cancellationToken = default) =>
        (await store.TxnAsync(new Txn([], [new TxnOp.Put(key, value, lease)], []), cancellationToken)).Revision;

    /// <summary>Creates the key if absent: the new revision, or null if it existed.</summary>
    public static async Task<long?> CreateAsync(this IKeyValueStore store, string key, ReadOnlyMemory<byte> value, long lease = 0, CancellationToken cancellationToken = default)
    {
        var result = await store.TxnAsync(new Txn([Compare.Absent(key)], [new TxnOp.Put(key, value, lease)], []), cancellationToken);
        return result.Succeeded ? result.Revision : null;
    }

    /// <summary>Replaces the value if the key still has <paramref name="modRevision"/>: the new revision, or null on conflict.</summary>
    public static async Task<long?> UpdateAsync(this IKeyValueStore store, string key, long modRevision, ReadOnlyMemory<byte> value, long lease = 0, CancellationToken cancellationToken = default)
    {
        var result = await store.TxnAsync(new Txn([Compare.ModRevision(key, CompareOp.Equal, modRevision)], [new TxnOp.Put(key, value, lease)], []), cancellationToken);
        return result.Succeeded ? result.Revision : null;
    }

    /// <summary>Deletes the key if it still has <paramref name="modRevision"/> (0: whatever it has): the deleted value, or null.</summary>
    public static async Task<KeyValue?> DeleteAsync(this IKeyValueStore store, string key, long modRevision = 0, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<Compare> compares = modRevision == 0 ? [] : [Compare.ModRevision(key, CompareOp.Equal, modRevision)];
        var result = await store.TxnAsync(new Txn(compares, [new TxnOp.Delete(KeyRange.Single(key))], []), cancellationToken);
        return result.Succeeded && result.Results[0] is TxnOpResult.Delete { Deleted.Count: > 0 } d ? d.Deleted[0] : null;
    }
}
