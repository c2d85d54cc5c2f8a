using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Resources;
using Kybernet.ApiServer.Storage;

namespace Kybernet.ApiServer.Lifecycle;

/// <summary>
/// Deletion as Kubernetes does it: preconditions; objects held by finalizers (or foreground
/// deletion, or a kind whose strategy marks first, like namespaces) only get a deletionTimestamp and
/// go once nothing holds them; orphaning strips the owner reference from dependents first; background
/// deletion removes the object now and leaves its dependents to the <see cref="GarbageCollector"/>.
/// What is particular to a kind (refusals, what marking changes, what holds it) is its strategy's.
/// </summary>
public sealed class Deleter(ObjectStore objects, ResourceCatalog catalog)
{
    public const string ForegroundFinalizer = "foregroundDeletion";
    public const string OrphanFinalizer = "orphan";

    public async Task<JsonObject> Delete(ResourceDefinition r, string? ns, string name, DeleteOptions options, CancellationToken ct)
    {
        var strategy = catalog.StrategyFor(r);
        strategy.ValidateDelete(name);
        for (int attempt = 0; ; attempt++)
        {
            var current = await objects.GetAsync(r, ns, name, ct)
                ?? throw ApiException.NotFound(r.QualifiedResource, name, r.Group, r.Resource);
            CheckPreconditions(r, name, current, options);
            try
            {
                if (ObjectMeta.IsDeleting(current))
                {
                    // Already on its way out: deleting it again removes it once nothing holds it (a
                    // namespace whose finalizers are done); until then it stays as it is.
                    if (options.DryRun || !strategy.CanRemove(current))
                        return current;
                    return await objects.DeleteAsync(r, ns, name, ObjectMeta.Revision(current), ct);
                }

                var finalizers = ObjectMeta.Finalizers(current).ToList();
                if (options.Propagation == Propagation.Foreground)
                    finalizers.Add(ForegroundFinalizer);
                if (options.DryRun)
                    return current;
                if (finalizers.Count > 0 || strategy.MarksBeforeRemoval)
                {
                    var marked = (JsonObject)current.DeepClone();
                    var meta = ObjectMeta.Metadata(marked);
                    meta["deletionTimestamp"] = ObjectMeta.Now();
                    meta["deletionGracePeriodSeconds"] = 0;
                    if (finalizers.Count > 0)
                        meta["finalizers"] = new JsonArray(finalizers.Distinct().Select(f => (JsonNode?)f).ToArray());
                    strategy.PrepareForDelete(marked);
                    return await objects.UpdateAsync(r, ns, name, marked, ObjectMeta.Revision(current), ct);
                }
                if (options.Propagation == Propagation.Orphan)
                    await Orphan(ObjectMeta.Uid(current)!, ct);
                return await objects.DeleteAsync(r, ns, name, ObjectMeta.Revision(current), ct);
            }
            catch (ApiException e) when (e.Reason == "Conflict" && attempt < 5)
            {
                // Changed between our read and our write: decide again on the new state.
            }
        }
    }

    /// <summary>
    /// Removes the owner reference to <paramref name="ownerUid"/> from every object that has one. A
    /// dependent written meanwhile is read again and retried: if one kept the reference, the
    /// collector would delete it once the owner is gone, which is what orphaning must prevent.
    /// </summary>
    public async Task Orphan(string ownerUid, CancellationToken ct)
    {
        foreach (var r in catalog.All)
        {
            var (items, _) = await objects.ListAsync(r, null, ct);
            foreach (var item in items.Where(i => OwnerUids(i).Contains(ownerUid)))
                await OrphanOne(r, ObjectMeta.Namespace(item), ObjectMeta.Name(item)!, ownerUid, ct);
        }
    }

    private async Task OrphanOne(ResourceDefinition r, string? ns, string name, string ownerUid, CancellationToken ct)
    {
        for (int attempt = 0; ; attempt++)
        {
            var item = await objects.GetAsync(r, ns, name, ct);
            if (item is null || !OwnerUids(item).Contains(ownerUid))
                return; // gone, or no longer ours to orphan
            var next = (JsonObject)item.DeepClone();
            var refs = (JsonArray)next["metadata"]!["ownerReferences"]!;
            foreach (var owned in refs.Where(o => ObjectMeta.Str(o?["uid"]) == ownerUid).ToList())
                refs.Remove(owned);
            try
            {
                await objects.UpdateAsync(r, ns, name, next, ObjectMeta.Revision(item), ct);
                return;
            }
            catch (ApiException e) when (e.Code == 404)
            {
                return; // deleted meanwhile: nothing left to orphan
            }
            catch (ApiException e) when (e.Code == 409 && attempt < 10)
            {
                // Written meanwhile: read it again, it may still carry the reference.
            }
        }
    }

    public static IReadOnlyList<string> OwnerUids(JsonObject obj) =>
        obj["metadata"]?["ownerReferences"] is JsonArray refs ? refs.Select(o => ObjectMeta.Str(o?["uid"]) ?? "").ToList() : [];

    private static void CheckPreconditions(ResourceDefinition r, string name, JsonObject current, DeleteOptions options)
    {
        if (options.PreconditionUid is { } uid && uid != ObjectMeta.Uid(current))
            throw new ApiException(409, "Conflict",
                $"Operation cannot be fulfilled on {r.QualifiedResource} \"{name}\": Precondition failed: UID in precondition: {uid}, UID in object meta: {ObjectMeta.Uid(current)}",
                name, r.Group, r.Resource);
        if (options.PreconditionResourceVersion is { } rv && rv != ObjectMeta.ResourceVersion(current))
            throw new ApiException(409, "Conflict",
                $"Operation cannot be fulfilled on {r.QualifiedResource} \"{name}\": Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in meta: {ObjectMeta.ResourceVersion(current)}",
                name, r.Group, r.Resource);
    }
}
