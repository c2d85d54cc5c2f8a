using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Resources;
using Kybernet.ApiServer.Storage;

namespace Kybernet.ApiServer.Lifecycle;

/// <summary>
/// Deletion as Kubernetes does it: preconditions; objects held by finalizers only get a
/// deletionTimestamp and go once nothing holds them. Foreground deletion and orphaning are finalizers
/// too (<c>foregroundDeletion</c>, <c>orphan</c>) that the garbage collector (Kybernet.Controllers)
/// removes once it has deleted the dependents or taken their owner references away; a kind whose
/// strategy marks first (namespaces) waits for its own controller. Background deletion removes the
/// object now and leaves its dependents to the garbage collector. What is particular to a kind
/// (refusals, what marking changes, what holds it) is its strategy's.
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
                    // A graceful delete may be shortened, never lengthened; shortened to 0 it goes once nothing else holds it.
                    if (!options.DryRun && Shortened(current, options.GracePeriodSeconds) is { } shortened)
                    {
                        return strategy.CanRemove(shortened)
                            ? await objects.DeleteAsync(r, ns, name, ObjectMeta.Revision(current), ct)
                            : await objects.UpdateAsync(r, ns, name, shortened, ObjectMeta.Revision(current), ct);
                    }
                    // Already on its way out: a policy named now switches its garbage-collection finalizer (as upstream);
                    // deleting it again removes it once nothing holds it (a namespace whose finalizers are done).
                    if (!options.DryRun && options.PropagationGiven && SwitchPropagation(current, options.Propagation) is { } switched)
                    {
                        return strategy.CanRemove(switched)
                            ? await objects.DeleteAsync(r, ns, name, ObjectMeta.Revision(current), ct)
                            : await objects.UpdateAsync(r, ns, name, switched, ObjectMeta.Revision(current), ct);
                    }
                    if (options.DryRun || !strategy.CanRemove(current))
                        return current;
                    return await objects.DeleteAsync(r, ns, name, ObjectMeta.Revision(current), ct);
                }

                var finalizers = ObjectMeta.Finalizers(current).ToList();
                if (options.Propagation == Propagation.Foreground)
                    finalizers.Add(ForegroundFinalizer);
                else if (options.Propagation == Propagation.Orphan)
                    finalizers.Add(OrphanFinalizer);
                if (options.DryRun)
                    return current;
                long grace = await strategy.GracePeriodAsync(current, options.GracePeriodSeconds, objects, ct);
                if (finalizers.Count > 0 || strategy.MarksBeforeRemoval || grace > 0)
                {
                    var marked = (JsonObject)current.DeepClone();
                    var meta = ObjectMeta.Metadata(marked);
                    meta["deletionTimestamp"] = ObjectMeta.At(DateTime.UtcNow.AddSeconds(grace));
                    meta["deletionGracePeriodSeconds"] = grace;
                    if (finalizers.Count > 0)
                        meta["finalizers"] = new JsonArray(finalizers.Distinct().Select(f => (JsonNode?)f).ToArray());
                    strategy.PrepareForDelete(marked);
                    return await objects.UpdateAsync(r, ns, name, marked, ObjectMeta.Revision(current), ct);
                }
                return await objects.DeleteAsync(r, ns, name, ObjectMeta.Revision(current), ct);
            }
            catch (ApiException e) when (e.Reason == "Conflict" && attempt < 5)
            {
                // Changed between our read and our write: decide again on the new state.
            }
        }
    }

    /// <summary>
    /// The object with its grace period cut to <paramref name="requested"/> (and its deletionTimestamp
    /// brought forward), or null when nothing was asked or it would not be shorter (upstream's rule).
    /// </summary>
    private static JsonObject? Shortened(JsonObject current, long? requested)
    {
        if (requested is not { } wanted || ObjectMeta.Integer(current["metadata"]?["deletionGracePeriodSeconds"]) is not { } grace || wanted >= grace)
            return null;
        wanted = Math.Max(0, wanted);
        var next = (JsonObject)current.DeepClone();
        var meta = ObjectMeta.Metadata(next);
        meta["deletionGracePeriodSeconds"] = wanted;
        meta["deletionTimestamp"] = ObjectMeta.At(DateTime.UtcNow.AddSeconds(wanted));
        return next;
    }

    /// <summary>The object with the finalizer the policy asks for in place of the other one, or null if it has that already.</summary>
    private static JsonObject? SwitchPropagation(JsonObject current, Propagation propagation)
    {
        var finalizers = ObjectMeta.Finalizers(current);
        var wanted = finalizers.Where(f => f is not (ForegroundFinalizer or OrphanFinalizer)).ToList();
        if (propagation == Propagation.Foreground)
            wanted.Add(ForegroundFinalizer);
        else if (propagation == Propagation.Orphan)
            wanted.Add(OrphanFinalizer);
        if (wanted.Order().SequenceEqual(finalizers.Order()))
            return null;
        var next = (JsonObject)current.DeepClone();
        ObjectMeta.Metadata(next)["finalizers"] = new JsonArray([.. wanted.Select(f => (JsonNode?)f)]);
        return next;
    }

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
