using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
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
        $"/registry/{r.StorageGroup}/{r.StorageResource}/" + (r.Namespaced && ns is not null ? ns + "/" : "");

    public async Task<JsonObject?> GetAsync(ResourceDefinition r, string? ns, string name, CancellationToken ct = default)
    {
        var kv = await Store.GetAsync(Key(r, ns, name), cancellationToken: ct);
        return kv is null ? null : Decode(r, kv);
    }

    /// <summary>A consistent list: every object under the prefix at one revision (the list's resourceVersion; 0: now).</summary>
    public async Task<(List<JsonObject> Items, long Revision)> ListAsync(ResourceDefinition r, string? ns, CancellationToken ct = default, long revision = 0)
    {
        var result = await Store.RangeAsync(KeyRange.Prefix(Prefix(r, ns)), revision, cancellationToken: ct);
        return (result.Kvs.Select(kv => Decode(r, kv)).ToList(), result.Revision);
    }

    /// <summary>
    /// One page of a list (upstream's etcd3 store GetList): the objects <paramref name="matches"/>
    /// keeps (null: all), in key order, starting at <paramref name="page"/>'s start key, at its
    /// revision (0: now). With a limit, keys are read in chunks, filtered, and read on (in doubling
    /// chunks, at the first chunk's revision) until the page holds the limit or the keys run out,
    /// so a selective filter does not end a list early. The page says where the next one starts
    /// (null: this was the last) and, when nothing is filtered out, how many objects remain after it.
    /// </summary>
    public async Task<ListPage> ListPageAsync(ResourceDefinition r, string? ns, PageRequest page, Func<JsonObject, bool>? matches, CancellationToken ct = default)
    {
        var prefix = Prefix(r, ns);
        var start = page.StartKey ?? prefix;
        long revision = page.Revision;
        long chunk = page.Limit;
        var items = new List<JsonObject>();
        while (true)
        {
            var result = await Store.RangeAsync(KeyRange.PrefixFrom(prefix, start), revision, chunk, ct);
            revision = result.Revision;
            string? lastKey = null;
            int read = 0;
            bool full = false;
            foreach (var kv in result.Kvs)
            {
                if (page.Limit > 0 && items.Count >= page.Limit)
                {
                    full = true;
                    break;
                }
                lastKey = kv.Key;
                read++;
                var obj = Decode(r, kv);
                if (matches is null || matches(obj))
                    items.Add(obj);
            }
            bool more = full || result.More;
            if (!more || page.Limit == 0)
                return new ListPage(items, revision, null, null);
            if (lastKey is null)
                throw new InvalidOperationException($"the store said more keys follow {start} at revision {revision}, but returned none");
            if (items.Count >= page.Limit)
                return new ListPage(items, revision, lastKey + "\0", matches is null ? result.Count - read : null);
            chunk = Math.Min(chunk * 2, MaxChunk);
            start = lastKey + "\0";
        }
    }

    /// <summary>The most keys one read of a filtered list asks for (upstream's maxLimit).</summary>
    private const long MaxChunk = 10000;

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
            [new TxnOp.Put(key, Encode(r, obj)), .. claims.Select(c => new TxnOp.Put(c, owner))],
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
            [new TxnOp.Put(key, Encode(r, obj)), .. claims.Select(c => new TxnOp.Put(c, owner))],
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
        return Decode(r, deleted);
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
                yield return ("DELETED", WithVersion(Shown(r, Parse(e.PrevKv)), e.Kv.ModRevision), null);
            }
            else
                yield return (e.Kv.CreateRevision == e.Kv.ModRevision ? "ADDED" : "MODIFIED", Decode(r, e.Kv), e.PrevKv is null ? null : Decode(r, e.PrevKv));
        }
    }

    private static JsonObject Decode(ResourceDefinition r, KeyValue kv) => WithVersion(Shown(r, Parse(kv)), kv.ModRevision);

    /// <summary>A stored object in the form <paramref name="r"/> serves (converted when it is a view of another resource's storage).</summary>
    private static JsonObject Shown(ResourceDefinition r, JsonObject stored) => r.Storage?.Conversion.FromStored(stored) ?? stored;

    private static JsonObject Parse(KeyValue kv) => (JsonObject)JsonNode.Parse(kv.Value.Span)!;

    private static JsonObject WithVersion(JsonObject obj, long revision)
    {
        if (obj["metadata"] is JsonObject meta)
            meta["resourceVersion"] = revision.ToString();
        return obj;
    }

    /// <summary>
    /// etcd's default request limit (--max-request-bytes, 1.5 MiB): no stored object may be larger,
    /// on either store, so a cluster behaves the same on SQLite as on etcd.
    /// </summary>
    public const int MaxObjectBytes = 1536 * 1024;

    /// <summary>
    /// Text stays as it is (UTF-8), not escaped as \uXXXX for HTML's sake: what is stored is never
    /// embedded in a page, and a 1 MiB ConfigMap of non-ASCII text must not count double against
    /// <see cref="MaxObjectBytes"/>.
    /// </summary>
    private static readonly JsonSerializerOptions StoredJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The stored form of an object; one over <see cref="MaxObjectBytes"/> is refused before any write.</summary>
    private static byte[] Encode(ResourceDefinition r, JsonObject obj)
    {
        var copy = r.Storage?.Conversion.ToStored((JsonObject)obj.DeepClone()) ?? (JsonObject)obj.DeepClone();
        (copy["metadata"] as JsonObject)?.Remove("resourceVersion");
        var bytes = Encoding.UTF8.GetBytes(copy.ToJsonString(StoredJson));
        if (bytes.Length > MaxObjectBytes)
        {
            // Upstream passes etcd's refusal on as a 500 with etcd's message (kubernetes#112152). A 413
            // with that message lets clients recognise it either way (by reason, or by message as
            // upstream's own tests do) and does not blame the server for a client's object.
            throw new ApiException(413, "RequestEntityTooLarge",
                $"etcdserver: request is too large (the object is {bytes.Length} bytes as stored; the limit is {MaxObjectBytes})");
        }
        return bytes;
    }
}

/// <summary>
/// Where a page of a list starts and at which revision it is read: <paramref name="StartKey"/> a full
/// key under the list's prefix (null: its first key), <paramref name="Revision"/> 0 for now, and
/// <paramref name="Limit"/> 0 for no limit.
/// </summary>
public sealed record PageRequest(long Limit = 0, long Revision = 0, string? StartKey = null);

/// <summary>
/// A page of a list: its objects, the revision it was read at, the full key the next page starts at
/// (null: none follows), and how many objects follow it (null: unknown, because a filter applied).
/// </summary>
public sealed record ListPage(List<JsonObject> Items, long Revision, string? NextKey, long? RemainingItemCount);

/// <summary>A key an object wanted to claim was taken by someone else meanwhile: choose again.</summary>
public sealed class ClaimTakenException() : Exception("a claimed key was taken meanwhile");
