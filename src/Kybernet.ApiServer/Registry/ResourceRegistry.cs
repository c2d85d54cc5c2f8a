using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Resources;
using Kybernet.ApiServer.Storage;

namespace Kybernet.ApiServer.Registry;

/// <summary>
/// The create and update flow every kind goes through (upstream's generic registry store): identity
/// and bookkeeping fields here, everything particular to the kind asked of its
/// <see cref="ResourceStrategy"/>, then one compare-and-swap write with the claims stored alongside.
/// Deletion is the <see cref="Lifecycle.Deleter"/>'s.
/// </summary>
public sealed class ResourceRegistry(ObjectStore objects, ResourceCatalog catalog)
{
    /// <summary>Another writer keeps taking the keys a create planned: give up after this many plans.</summary>
    private const int ClaimAttempts = 20;

    public async Task<JsonObject> GetAsync(ResourceDefinition r, string? ns, string name, CancellationToken ct) =>
        await objects.GetAsync(r, ns, name, ct) ?? throw ApiException.NotFound(r.QualifiedResource, name, r.Group, r.Resource);

    /// <summary>
    /// Stores a new object: its namespace must exist and not be terminating; the server fills uid,
    /// creationTimestamp, generation and a generated name; the strategy prepares, defaults and
    /// validates it and plans its claims. A dry run answers what would be stored, without claims.
    /// </summary>
    public async Task<JsonObject> CreateAsync(ResourceStrategy strategy, string? ns, JsonObject obj, bool dryRun, CancellationToken ct)
    {
        var r = strategy.Resource;
        if (r.Namespaced)
            await RequireNamespaceAsync(ns!, ct);
        var meta = ObjectMeta.Metadata(obj);
        if (r.Namespaced) meta["namespace"] = ns;
        else meta.Remove("namespace");
        if (ObjectMeta.Name(obj) is null or "" && ObjectMeta.Str(meta["generateName"]) is { Length: > 0 } prefix)
            meta["name"] = Kybernet.Api.Names.NameGenerator.GenerateName(prefix);
        meta["uid"] = Guid.NewGuid().ToString();
        meta["creationTimestamp"] = ObjectMeta.Now();
        meta.Remove("resourceVersion");
        meta.Remove("deletionTimestamp");
        meta.Remove("deletionGracePeriodSeconds");
        meta.Remove("managedFields");
        if (obj["spec"] is not null)
            meta["generation"] = 1;
        obj["kind"] = r.Kind;
        obj["apiVersion"] = r.ApiVersion;

        strategy.PrepareForCreate(obj);
        strategy.Default(obj);
        await strategy.AdmitCreateAsync(obj, objects, ct);
        Check(r, obj, strategy.ValidateCreate(obj));

        var name = ObjectMeta.Name(obj)!;
        if (dryRun)
        {
            if (await objects.GetAsync(r, ns, name, ct) is not null)
                throw ApiException.AlreadyExists(r.QualifiedResource, name, r.Group, r.Resource);
            return obj;
        }
        for (int attempt = 1; ; attempt++)
        {
            var candidate = (JsonObject)obj.DeepClone();
            var claims = await strategy.PlanCreateClaimsAsync(candidate, ct);
            try { return await objects.CreateAsync(r, ns, name, candidate, claims, ct); }
            catch (ClaimTakenException) when (attempt < ClaimAttempts)
            {
                // Another write took a key this plan proposed between our read and our write: plan again.
            }
        }
    }

    /// <summary>
    /// Stores <paramref name="next"/> (the whole object an update or a subresource write made) over
    /// <paramref name="current"/>, if that is still the stored revision: identity fields are kept,
    /// the generation goes up when the spec changed, the strategy defaults and validates it and
    /// plans what it newly claims. Nothing is written when nothing changed. An object being deleted
    /// that nothing holds any more goes at once.
    /// </summary>
    public async Task<JsonObject> UpdateAsync(ResourceStrategy strategy, string? ns, string name, JsonObject current, JsonObject next, bool dryRun, CancellationToken ct)
    {
        var r = strategy.Resource;
        var meta = ObjectMeta.Metadata(next);
        var old = ObjectMeta.Metadata(current);
        // A uid in the body is a precondition (upstream's): a write meant for an object since deleted and made again fails.
        if (ObjectMeta.Str(meta["uid"]) is { Length: > 0 } uid && uid != ObjectMeta.Uid(current))
            throw new Http.ApiException(409, "Conflict",
                $"Operation cannot be fulfilled on {r.QualifiedResource} \"{name}\": Precondition failed: UID in precondition: {uid}, UID in object meta: {ObjectMeta.Uid(current)}",
                name, r.Group, r.Resource);
        foreach (var keep in new[] { "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation" })
        {
            if (old[keep] is { } value) meta[keep] = value.DeepClone();
            else meta.Remove(keep);
        }
        meta["name"] = name;
        if (r.Namespaced) meta["namespace"] = ns;
        next["kind"] = r.Kind;
        next["apiVersion"] = r.ApiVersion;
        if (next["spec"] is not null && !JsonNode.DeepEquals(current["spec"], next["spec"]))
            meta["generation"] = (old["generation"]?.GetValue<long>() ?? 0) + 1;

        strategy.Default(next);
        var claims = await strategy.PlanUpdateClaimsAsync(next, current, ct);
        Check(r, next, strategy.ValidateUpdate(next, current));

        if (JsonNode.DeepEquals(WithoutRevision(current), WithoutRevision(next)))
            return current; // nothing changed: no write, no new revision
        if (dryRun)
            return next;
        JsonObject saved;
        try { saved = await objects.UpdateAsync(r, ns, name, next, ObjectMeta.Revision(current), claims, ct); }
        catch (ClaimTakenException)
        {
            // A node port chosen for this update went to another service meanwhile: like a conflict, the client retries.
            throw ApiException.Conflict(r.QualifiedResource, name, r.Group, r.Resource);
        }
        // The write that removed the last finalizer of an object being deleted lets it go.
        if (ObjectMeta.IsDeleting(saved) && strategy.CanRemove(saved))
            saved = await objects.DeleteAsync(r, ns, name, ObjectMeta.Revision(saved), ct);
        return saved;
    }

    /// <summary>Creating in a namespace needs it to exist and not be terminating.</summary>
    public async Task RequireNamespaceAsync(string ns, CancellationToken ct)
    {
        var namespaces = catalog.Namespaces.Resource;
        if (await objects.GetAsync(namespaces, null, ns, ct) is not { } found)
            throw ApiException.NotFound(namespaces.QualifiedResource, ns, namespaces.Group, namespaces.Resource);
        if (ObjectMeta.IsDeleting(found))
            throw new ApiException(403, "Forbidden", $"unable to create new content in namespace {ns} because it is being terminated", ns, "", "namespaces");
    }

    private static void Check(ResourceDefinition r, JsonObject obj, IReadOnlyList<StatusCause> causes)
    {
        if (causes.Count > 0)
            throw ApiException.Invalid(r.Kind, ObjectMeta.Name(obj) ?? "", r.Group, causes);
    }

    /// <summary>An object compared without its resourceVersion (what a no-op write would change).</summary>
    private static JsonNode WithoutRevision(JsonObject obj)
    {
        var copy = (JsonObject)obj.DeepClone();
        (copy["metadata"] as JsonObject)?.Remove("resourceVersion");
        return copy;
    }
}
