using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Resources;
using Kybernet.Store;

namespace Kybernet.ApiServer.Storage;

/// <summary>
/// API objects in the key-value store, one key each: /registry/GROUP/RESOURCE[/NAMESPACE]/NAME
/// ("core" for the core group). An object's resourceVersion is the key's mod revision: it is
/// not stored in the value, only filled in on the way out, so it is always exact.
/// </summary>
public sealed class ObjectStore(IKeyValueStore store)
{
    public IKeyValueStore Store { get; } = store;

    public static string Key(ResourceDefinition r, string? ns, string name) => Prefix(r, r.Namespaced ? ns : null) + name;

    /// <summary>Every object of the resource, or of one namespace (<paramref name="ns"/> null: all namespaces).</summary>
    public static string Prefix(ResourceDefinition r, string? ns) =>
        $"/registry/{(r.Group.Length == 0 ? "core" : r.Group)}/{r.Resource}/" + (r.Namespaced && ns is not null ? ns + "/" : "");

    public async Task<JsonObject?> GetAsync(ResourceDefinition r, string? ns, string name, CancellationToken ct = default)
    {
        var kv = await Store.GetAsync(Key(r, ns, name), cancellationToken: ct);
        return kv is null ? null : Decode(kv);
    }

    /// <summary>A consistent list: every object under the prefix at one revision (the list's resourceVersion; 0: now).</summary>
    public async Task<(List<JsonObject> Items, long Revision)> ListAsync(ResourceDefinition r, string? ns, CancellationToken ct = default, long revision = 0)
    {
        var result = await Store.RangeAsync(KeyRange.Prefix(Prefix(r, ns)), revision, cancellationToken: ct);
        return (result.Kvs.Select(Decode).ToList(), result.Revision);
    }

    /// <summary>Stores a new object; AlreadyExists if the name is taken.</summary>
    public Task<JsonObject> CreateAsync(ResourceDefinition r, string? ns, string name, JsonObject obj, CancellationToken ct = default) =>
        CreateAsync(r, ns, name, obj, [], ct);

    /// <summary>
    /// Stores a new object together with <paramref name="claims"/>: keys that must not exist yet and
    /// are created in the same transaction, holding "namespace/name" (a service's IP and node ports),
    /// so the object and its claims exist together or not at all. AlreadyExists if the name is taken,
    /// <see cref="ClaimTakenException"/> if a claim is.
    /// </summary>
    public async Task<JsonObject> CreateAsync(ResourceDefinition r, string? ns, string name, JsonObject obj, IReadOnlyList<string> claims, CancellationToken ct = default)
    {
        var key = Key(r, ns, name);
        var owner = Encoding.UTF8.GetBytes($"{ns}/{name}");
        var txn = new Txn(
            [Compare.Absent(key), .. claims.Select(Compare.Absent)],
            [new TxnOp.Put(key, Encode(obj)), .. claims.Select(c => new TxnOp.Put(c, owner))],
            []);
        var result = await Store.TxnAsync(txn, ct);
        if (result.Succeeded)
            return WithVersion(obj, result.Revision);
        if (await Store.GetAsync(key, cancellationToken: ct) is not null)
            throw ApiException.AlreadyExists(r.QualifiedResource, name, r.Group, r.Resource);
        throw new ClaimTakenException();
    }

    /// <summary>Replaces the object if it is still at <paramref name="expectedRevision"/>; Conflict if not, NotFound if gone.</summary>
    public Task<JsonObject> UpdateAsync(ResourceDefinition r, string? ns, string name, JsonObject obj, long expectedRevision, CancellationToken ct = default) =>
        UpdateAsync(r, ns, name, obj, expectedRevision, [], ct);

    /// <summary>Replaces the object if it is still at <paramref name="expectedRevision"/>, creating <paramref name="claims"/> in the same transaction.</summary>
    public async Task<JsonObject> UpdateAsync(ResourceDefinition r, string? ns, string name, JsonObject obj, long expectedRevision, IReadOnlyList<string> claims, CancellationToken ct = default)
    {
        var key = Key(r, ns, name);
        var owner = Encoding.UTF8.GetBytes($"{ns}/{name}");
        var txn = new Txn(
            [Compare.ModRevision(key, CompareOp.Equal, expectedRevision), .. claims.Select(Compare.Absent)],
            [new TxnOp.Put(key, Encode(obj)), .. claims.Select(c => new TxnOp.Put(c, owner))],
            []);
        var result = await Store.TxnAsync(txn, ct);
        if (result.Succeeded)
            return WithVersion(obj, result.Revision);
        var current = await Store.GetAsync(key, cancellationToken: ct);
        if (current is null)
            throw ApiException.NotFound(r.QualifiedResource, name, r.Group, r.Resource);
        if (current.ModRevision != expectedRevision)
            throw ApiException.Conflict(r.QualifiedResource, name, r.Group, r.Resource);
        throw new ClaimTakenException();
    }

    /// <summary>Removes the object if it is still at <paramref name="expectedRevision"/> (0: any); returns what was removed.</summary>
    public async Task<JsonObject> DeleteAsync(ResourceDefinition r, string? ns, string name, long expectedRevision, CancellationToken ct = default)
    {
        var deleted = await Store.DeleteAsync(Key(r, ns, name), expectedRevision, ct);
        if (deleted is null)
        {
            if (await Store.GetAsync(Key(r, ns, name), cancellationToken: ct) is null)
                throw ApiException.NotFound(r.QualifiedResource, name, r.Group, r.Resource);
            throw ApiException.Conflict(r.QualifiedResource, name, r.Group, r.Resource);
        }
        return Decode(deleted);
    }

    /// <summary>
    /// Changes after <paramref name="afterRevision"/>: ADDED for a key's first revision, MODIFIED for
    /// later ones (with the previous state, when the store kept it), DELETED (with the last state,
    /// at the deleting revision) for deletes.
    /// </summary>
    public async IAsyncEnumerable<(string Type, JsonObject Object, JsonObject? Previous)> WatchAsync(ResourceDefinition r, string? ns, long afterRevision,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var e in Store.WatchAsync(KeyRange.Prefix(Prefix(r, ns)), afterRevision + 1, ct))
        {
            if (e.Type == WatchEventType.Delete)
            {
                if (e.PrevKv is null)
                    continue;
                yield return ("DELETED", WithVersion(Parse(e.PrevKv), e.Kv.ModRevision), null);
            }
            else
                yield return (e.Kv.CreateRevision == e.Kv.ModRevision ? "ADDED" : "MODIFIED", Decode(e.Kv), e.PrevKv is null ? null : Decode(e.PrevKv));
        }
    }

    private static JsonObject Decode(KeyValue kv) => WithVersion(Parse(kv), kv.ModRevision);

    private static JsonObject Parse(KeyValue kv) => (JsonObject)JsonNode.Parse(kv.Value.Span)!;

    private static JsonObject WithVersion(JsonObject obj, long revision)
    {
        if (obj["metadata"] is JsonObject meta)
            meta["resourceVersion"] = revision.ToString();
        return obj;
    }

    private static byte[] Encode(JsonObject obj)
    {
        var copy = (JsonObject)obj.DeepClone();
        (copy["metadata"] as JsonObject)?.Remove("resourceVersion");
        return Encoding.UTF8.GetBytes(copy.ToJsonString());
    }
}

/// <summary>A key an object wanted to claim was taken by someone else meanwhile: choose again.</summary>
public sealed class ClaimTakenException() : Exception("a claimed key was taken meanwhile");
