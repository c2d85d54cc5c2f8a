using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Resources;
using Kybernet.ApiServer.Storage;
using Kybernet.Store;
using Microsoft.Extensions.Logging;

namespace Kybernet.ApiServer.Lifecycle;

/// <summary>
/// Finishes what deletions start, level-triggered: on every change it looks at the whole state and
/// (1) deletes objects all of whose owners are gone (background propagation), (2) completes
/// foreground deletions (dependents first, then the owner), and (3) empties terminating namespaces,
/// then finalizes them and deletes them again, which removes them. Running it twice changes nothing.
/// Upstream these are the garbage-collector and namespace controllers; they live in the server
/// until they move to Kybernet.Controllers as API clients.
/// </summary>
public sealed class GarbageCollector(ObjectStore objects, ResourceCatalog catalog, Deleter deleter, ILogger<GarbageCollector> log)
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(20);

    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                long revision = await objects.Store.CurrentRevisionAsync(ct);
                await SweepAsync(ct);
                await WaitForChange(revision, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return; // the server is stopping
            }
            catch (Exception e)
            {
                log.LogError(e, "Garbage collection sweep failed; retrying in 1 s");
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
        }
    }

    /// <summary>One pass over everything.</summary>
    public async Task SweepAsync(CancellationToken ct)
    {
        // Everything read at one revision: owners and dependents are seen as they were together,
        // never an owner from before its dependent's list.
        long revision = await objects.Store.CurrentRevisionAsync(ct);
        var all = new List<(ResourceDefinition R, JsonObject Obj)>();
        foreach (var r in catalog.All)
            all.AddRange((await objects.ListAsync(r, null, ct, revision)).Items.Select(o => (r, o)));
        var uids = all.Select(a => ObjectMeta.Uid(a.Obj)).OfType<string>().ToHashSet();

        foreach (var (r, obj) in all)
        {
            var owners = Deleter.OwnerUids(obj);
            if (owners.Count > 0 && owners.All(o => !uids.Contains(o)))
                await Quietly(() => deleter.Delete(r, ObjectMeta.Namespace(obj), ObjectMeta.Name(obj)!, DeleteOptions.Default, ct));
        }

        foreach (var (r, obj) in all.Where(a => ObjectMeta.IsDeleting(a.Obj)))
        {
            if (ObjectMeta.Finalizers(obj).Contains(Deleter.ForegroundFinalizer))
            {
                var uid = ObjectMeta.Uid(obj)!;
                var dependents = all.Where(a => Deleter.OwnerUids(a.Obj).Contains(uid)).ToList();
                foreach (var (dr, dependent) in dependents)
                    await Quietly(() => deleter.Delete(dr, ObjectMeta.Namespace(dependent), ObjectMeta.Name(dependent)!, new DeleteOptions(Propagation.Foreground, null, null, false), ct));
                if (dependents.Count == 0)
                    await RemoveFinalizer(r, obj, Deleter.ForegroundFinalizer, ct);
            }
            if (r == catalog.Namespaces.Resource)
                await Terminate(obj, all, ct);
        }
    }

    /// <summary>
    /// Deletes everything in a terminating namespace; once it is empty, finalizes it (what a PUT of
    /// namespaces/NAME/finalize does: spec.finalizers emptied) and deletes it again, which removes it
    /// unless metadata.finalizers still hold it.
    /// </summary>
    private async Task Terminate(JsonObject ns, List<(ResourceDefinition R, JsonObject Obj)> all, CancellationToken ct)
    {
        var name = ObjectMeta.Name(ns)!;
        var contents = all.Where(a => a.R.Namespaced && ObjectMeta.Namespace(a.Obj) == name).ToList();
        foreach (var (r, obj) in contents)
            await Quietly(() => deleter.Delete(r, name, ObjectMeta.Name(obj)!, DeleteOptions.Default, ct));
        if (contents.Count > 0)
            return;
        var namespaces = catalog.Namespaces;
        var finalized = namespaces.Finalize.ApplyTo(ns, new JsonObject { ["spec"] = new JsonObject() });
        await Quietly(async () =>
        {
            if (!JsonNode.DeepEquals(finalized, ns))
                await objects.UpdateAsync(namespaces.Resource, null, name, finalized, ObjectMeta.Revision(ns), ct);
            return await deleter.Delete(namespaces.Resource, null, name, DeleteOptions.Default, ct);
        });
    }

    private async Task RemoveFinalizer(ResourceDefinition r, JsonObject obj, string finalizer, CancellationToken ct)
    {
        var next = (JsonObject)obj.DeepClone();
        var remaining = ObjectMeta.Finalizers(obj).Where(f => f != finalizer).ToList();
        var meta = ObjectMeta.Metadata(next);
        if (remaining.Count == 0) meta.Remove("finalizers");
        else meta["finalizers"] = new JsonArray(remaining.Select(f => (JsonNode?)f).ToArray());
        await Quietly(async () =>
        {
            var saved = await objects.UpdateAsync(r, ObjectMeta.Namespace(obj), ObjectMeta.Name(obj)!, next, ObjectMeta.Revision(obj), ct);
            if (catalog.StrategyFor(r).CanRemove(saved))
                await objects.DeleteAsync(r, ObjectMeta.Namespace(obj), ObjectMeta.Name(obj)!, ObjectMeta.Revision(saved), ct);
            return saved;
        });
    }

    /// <summary>Another writer got there first (gone, or changed): the next sweep sees the new state.</summary>
    private static async Task Quietly(Func<Task<JsonObject>> action)
    {
        try { await action(); }
        catch (ApiException e) when (e.Code is 404 or 409)
        {
            // Expected: this sweep decided on a state that has changed since; the change wakes the next one.
        }
    }

    /// <summary>
    /// Returns once a change that can leave work behind happened after <paramref name="revision"/>
    /// (a delete, or a write of an object being deleted), and things settled for a moment. Plain
    /// creates and updates, nearly every write, wake nothing: a sweep reads every object.
    /// </summary>
    private async Task WaitForChange(long revision, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        await using var changes = objects.Store.WatchAsync(KeyRange.Prefix("/registry/"), revision + 1, cts.Token).GetAsyncEnumerator(cts.Token);
        while (await changes.MoveNextAsync())
        {
            if (LeavesWork(changes.Current))
                break;
        }
        cts.CancelAfter(Settle);
        try { while (await changes.MoveNextAsync()) { } }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The settle time is up (our own timer, not the server stopping): sweep now.
        }
    }

    private static readonly byte[] DeletionTimestamp = System.Text.Encoding.UTF8.GetBytes("\"deletionTimestamp\"");

    private static bool LeavesWork(WatchEvent e) =>
        e.Type == WatchEventType.Delete || e.Kv.Value.Span.IndexOf(DeletionTimestamp) >= 0;
}
