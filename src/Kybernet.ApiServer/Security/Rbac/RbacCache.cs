using System.Text.Json.Nodes;
using Kybernet.Store;
using Microsoft.Extensions.Logging;

namespace Kybernet.ApiServer.Security.Rbac;

/// <summary>
/// The RBAC objects as the authorizer reads them: listed once at start, then kept current by one watch
/// on the store's rbac.authorization.k8s.io prefix (all four kinds), each change swapping in a new
/// immutable <see cref="RbacPolicy"/>. No request reads the store to be authorized. A watch that
/// breaks (compaction, a store error) is logged and the cache lists again.
/// </summary>
public sealed class RbacCache(IKeyValueStore store, ILogger<RbacCache> log)
{
    public const string Prefix = "/registry/" + RbacResources.Group + "/";

    private readonly Dictionary<string, JsonObject> _objects = new(StringComparer.Ordinal);
    private volatile RbacPolicy _policy = RbacPolicy.Empty;
    private long _revision;

    public RbacPolicy Policy => _policy;

    /// <summary>Lists everything at the current revision; the server calls it once before it serves.</summary>
    public async Task SyncAsync(CancellationToken ct)
    {
        var result = await store.RangeAsync(KeyRange.Prefix(Prefix), cancellationToken: ct);
        lock (_objects)
        {
            _objects.Clear();
            foreach (var kv in result.Kvs)
                _objects[kv.Key] = (JsonObject)JsonNode.Parse(kv.Value.Span)!;
            _revision = result.Revision;
            Rebuild();
        }
    }

    /// <summary>Follows the store's changes until stopped.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await foreach (var e in store.WatchAsync(KeyRange.Prefix(Prefix), _revision + 1, ct))
                {
                    lock (_objects)
                    {
                        if (e.Type == WatchEventType.Delete)
                            _objects.Remove(e.Kv.Key);
                        else
                            _objects[e.Kv.Key] = (JsonObject)JsonNode.Parse(e.Kv.Value.Span)!;
                        _revision = e.Kv.ModRevision;
                        Rebuild();
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                log.LogError(e, "Watching the RBAC objects failed; listing them again in 1 s");
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
                try { await SyncAsync(ct); }
                catch (Exception again) when (again is not OperationCanceledException)
                {
                    log.LogError(again, "Listing the RBAC objects failed");
                }
            }
        }
    }

    private void Rebuild()
    {
        List<JsonObject> Of(string resource) =>
            _objects.Where(o => o.Key.StartsWith(Prefix + resource + "/", StringComparison.Ordinal)).Select(o => o.Value).ToList();
        _policy = new RbacPolicy(Of("clusterroles"), Of("roles"), Of("clusterrolebindings"), Of("rolebindings"));
    }
}
