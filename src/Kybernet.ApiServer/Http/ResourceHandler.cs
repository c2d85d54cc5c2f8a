using System.Text.Json.Nodes;
using Kybernet.Api.Patching;
using Kybernet.Api.Selectors;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Lifecycle;
using Kybernet.ApiServer.Resources;
using Kybernet.ApiServer.Storage;
using Kybernet.ApiServer.Tables;
using Microsoft.AspNetCore.Http;

namespace Kybernet.ApiServer.Http;

/// <summary>
/// The verbs on resource URLs: list/watch, get, create, update, patch, delete, deletecollection,
/// and the status and scale subresources, with the conventions kubectl relies on (dryRun,
/// fieldValidation, resourceVersion preconditions, generateName, Table output).
/// </summary>
public sealed class ResourceHandler(ObjectStore objects, ResourceCatalog catalog, Deleter deleter, ServiceAllocator services)
{
    public async Task Handle(HttpContext context, RequestTarget target)
    {
        var method = context.Request.Method;
        var r = target.Resource;
        if (target.Subresource is { } sub && !(sub == "status" && r.HasStatus) && !(sub == "scale" && r.HasScale))
            throw new ApiException(404, "NotFound", $"the server could not find the requested resource ({sub} of {r.QualifiedResource})");
        // /api/v1/pods (no namespace) lists and watches across namespaces, and does nothing else.
        if (r.Namespaced && target.Namespace is null && method != "GET")
            throw ApiException.MethodNotAllowed($"the server does not allow this method on the requested resource ({method} {r.QualifiedResource} across all namespaces)");
        if (r.Namespaced && target.Namespace is not null && target.Name is null && method == "POST")
            await RequireNamespace(target.Namespace, context.RequestAborted);

        switch (method, target.Name)
        {
            case ("GET", null) when context.Request.Query["watch"] is { Count: > 0 } w && w[0] is "true" or "1":
                await new WatchStream(objects, r).Serve(context, target.Namespace);
                break;
            case ("GET", null):
                await List(context, target);
                break;
            case ("GET", _):
                await Get(context, target);
                break;
            case ("POST", null):
                await Create(context, target);
                break;
            case ("PUT", not null):
                await Update(context, target);
                break;
            case ("PATCH", not null):
                await Patch(context, target);
                break;
            case ("DELETE", not null):
                await Delete(context, target);
                break;
            case ("DELETE", null):
                await DeleteCollection(context, target);
                break;
            default:
                throw ApiException.MethodNotAllowed($"the server does not allow this method on the requested resource ({method} {r.QualifiedResource})");
        }
    }

    private async Task List(HttpContext context, RequestTarget target)
    {
        var r = target.Resource;
        var (items, revision) = await objects.ListAsync(r, target.Namespace, context.RequestAborted);
        var selected = Select(context, r, items).ToList();
        if (Negotiation.WantsTable(context))
        {
            await JsonResponses.Write(context, 200, TableWriter.ForList(r, selected, revision), Negotiation.TableContentType);
            return;
        }
        var list = new JsonObject
        {
            ["kind"] = r.Kind + "List",
            ["apiVersion"] = r.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = revision.ToString() },
            ["items"] = new JsonArray(selected.Select(i => (JsonNode?)i).ToArray()),
        };
        await JsonResponses.Write(context, 200, list);
    }

    private async Task Get(HttpContext context, RequestTarget target)
    {
        var obj = await Load(target, context.RequestAborted);
        if (target.Subresource == "scale")
        {
            await JsonResponses.Write(context, 200, Scale.From(target.Resource, obj));
            return;
        }
        if (Negotiation.WantsTable(context))
        {
            await JsonResponses.Write(context, 200, TableWriter.ForObject(target.Resource, obj), Negotiation.TableContentType);
            return;
        }
        await JsonResponses.Write(context, 200, obj);
    }

    private async Task Create(HttpContext context, RequestTarget target)
    {
        var r = target.Resource;
        var obj = await ReadObject(context, r);
        var ns = r.Namespaced ? target.Namespace ?? ObjectMeta.Namespace(obj) ?? "default" : null;
        var meta = ObjectMeta.Metadata(obj);
        if (r.Namespaced)
        {
            if (ObjectMeta.Namespace(obj) is { } bodyNs && bodyNs != ns)
                throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            meta["namespace"] = ns;
        }
        else
            meta.Remove("namespace");
        if (ObjectMeta.Name(obj) is null or "" && ObjectMeta.Str(meta["generateName"]) is { Length: > 0 } prefix)
            meta["name"] = Kybernet.Api.Names.NameGenerator.GenerateName(prefix);

        meta["uid"] = Guid.NewGuid().ToString();
        meta["creationTimestamp"] = ObjectMeta.Now();
        meta.Remove("resourceVersion");
        meta.Remove("deletionTimestamp");
        meta.Remove("managedFields");
        if (obj["spec"] is not null)
            meta["generation"] = 1;
        Defaulter.Apply(r, obj);
        StatusReset.OnCreate(r, obj);
        Validator.Validate(r, obj, null);

        var name = ObjectMeta.Name(obj)!;
        if (Negotiation.IsDryRun(context))
        {
            if (await objects.GetAsync(r, ns, name, context.RequestAborted) is not null)
                throw ApiException.AlreadyExists(r.QualifiedResource, name, r.Group, r.Resource);
            await JsonResponses.Write(context, 201, obj);
            return;
        }
        await JsonResponses.Write(context, 201, await Store(r, ns, name, obj, context.RequestAborted));
    }

    private async Task Update(HttpContext context, RequestTarget target)
    {
        var r = target.Resource;
        var incoming = await ReadObject(context, r, target.Subresource);
        if (ObjectMeta.Name(incoming) is { } bodyName && bodyName != target.Name)
            throw ApiException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({target.Name})");
        var current = await Load(target, context.RequestAborted);
        long expected = ObjectMeta.Revision(incoming);
        if (expected != 0 && expected != ObjectMeta.Revision(current))
            throw ApiException.Conflict(r.QualifiedResource, target.Name!, r.Group, r.Resource);
        await Save(context, target, current, incoming, ObjectMeta.Revision(current));
    }

    private async Task Patch(HttpContext context, RequestTarget target)
    {
        var r = target.Resource;
        var contentType = (context.Request.ContentType ?? "").Split(';')[0].Trim();
        var patch = await JsonResponses.ReadBody(context, strict: Negotiation.IsStrict(context));
        for (int attempt = 0; ; attempt++)
        {
            JsonObject? current;
            try { current = await Load(target, context.RequestAborted); }
            catch (ApiException e) when (e.Code == 404 && contentType == "application/apply-patch+yaml")
            {
                current = null; // server-side apply creates what does not exist
            }
            var patched = PatchApplier.Apply(contentType, current, patch, r, target.Subresource);
            FieldValidator.Enforce(patched, target.Subresource == "scale" ? "autoscaling/v1" : r.ApiVersion,
                target.Subresource == "scale" ? "Scale" : r.Kind, Negotiation.IsStrict(context));
            if (current is null)
            {
                await CreateFromApply(context, target, patched);
                return;
            }
            // A resourceVersion inside the patch is a precondition (kubectl diff and edit send one).
            if (ObjectMeta.Revision(patched) is var wanted and not 0 && wanted != ObjectMeta.Revision(current))
                throw ApiException.Conflict(r.QualifiedResource, target.Name!, r.Group, r.Resource);
            try
            {
                await Save(context, target, current, patched, ObjectMeta.Revision(current));
                return;
            }
            catch (ApiException e) when (e.Reason == "Conflict" && attempt < 5 && ObjectMeta.ResourceVersion(patch as JsonObject ?? []) is null)
            {
                // Someone wrote in between: a patch without a precondition is re-applied to the new state.
            }
        }
    }

    private async Task CreateFromApply(HttpContext context, RequestTarget target, JsonObject obj)
    {
        var r = target.Resource;
        if (r.Namespaced)
            await RequireNamespace(target.Namespace!, context.RequestAborted);
        var meta = ObjectMeta.Metadata(obj);
        meta["name"] = target.Name;
        if (r.Namespaced) meta["namespace"] = target.Namespace;
        meta["uid"] = Guid.NewGuid().ToString();
        meta["creationTimestamp"] = ObjectMeta.Now();
        if (obj["spec"] is not null) meta["generation"] = 1;
        Defaulter.Apply(r, obj);
        StatusReset.OnCreate(r, obj);
        Validator.Validate(r, obj, null);
        if (Negotiation.IsDryRun(context))
        {
            await JsonResponses.Write(context, 201, obj);
            return;
        }
        await JsonResponses.Write(context, 201, await Store(r, target.Namespace, target.Name!, obj, context.RequestAborted));
    }

    /// <summary>Stores a new object; a service with the addresses it claims, re-planned if another service got one first.</summary>
    private async Task<JsonObject> Store(ResourceDefinition r, string? ns, string name, JsonObject obj, CancellationToken ct)
    {
        if (r.Kind != "Service")
            return await objects.CreateAsync(r, ns, name, obj, ct);
        for (int attempt = 0; ; attempt++)
        {
            var candidate = (JsonObject)obj.DeepClone();
            var claims = await services.PlanCreateAsync(candidate, ct);
            try { return await objects.CreateAsync(r, ns, name, candidate, claims, ct); }
            catch (ClaimTakenException) when (attempt < 20) { }
        }
    }

    /// <summary>
    /// The write path shared by update and patch: keep what clients may not change (identity,
    /// creation time; the status on the main resource, everything but the status on /status),
    /// bump the generation when the spec changed, default, validate, and compare-and-swap.
    /// </summary>
    private async Task Save(HttpContext context, RequestTarget target, JsonObject current, JsonObject next, long expectedRevision)
    {
        var r = target.Resource;
        if (target.Subresource == "status")
        {
            var statusOnly = (JsonObject)current.DeepClone();
            statusOnly["status"] = next["status"]?.DeepClone();
            if (r.Kind == "Node")
            {
                // Upstream's node status strategy resets only the spec: labels and annotations written through
                // /status stay (flanneld, allowed only nodes/status, sets its annotations that way).
                var kept = ObjectMeta.Metadata(statusOnly);
                foreach (var field in new[] { "labels", "annotations" })
                {
                    if (ObjectMeta.Metadata(next)[field] is { } value) kept[field] = value.DeepClone();
                    else kept.Remove(field);
                }
            }
            next = statusOnly;
        }
        else if (target.Subresource == "scale")
            next = Scale.ApplyTo(r, current, next);
        else if (r.HasStatus)
            next["status"] = current["status"]?.DeepClone();

        var meta = ObjectMeta.Metadata(next);
        var old = ObjectMeta.Metadata(current);
        foreach (var keep in new[] { "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation" })
        {
            if (old[keep] is { } value) meta[keep] = value.DeepClone();
            else meta.Remove(keep);
        }
        meta["name"] = target.Name;
        if (r.Namespaced) meta["namespace"] = target.Namespace;
        next["kind"] = r.Kind;
        next["apiVersion"] = r.ApiVersion;
        if (target.Subresource != "status" && !JsonNode.DeepEquals(current["spec"], next["spec"]) && next["spec"] is not null)
            meta["generation"] = (old["generation"]?.GetValue<long>() ?? 0) + 1;
        Defaulter.Apply(r, next);
        IReadOnlyList<string> claims = r.Kind == "Service" && target.Subresource is null
            ? await KeepServiceAddresses(current, next, context.RequestAborted)
            : [];
        Validator.Validate(r, next, current);

        if (JsonNode.DeepEquals(Comparable(current), Comparable(next)))
        {
            await JsonResponses.Write(context, 200, current); // nothing changed: no write, no new revision
            return;
        }
        if (Negotiation.IsDryRun(context))
        {
            await JsonResponses.Write(context, 200, next);
            return;
        }
        JsonObject saved;
        try { saved = await objects.UpdateAsync(r, target.Namespace, target.Name!, next, expectedRevision, claims, context.RequestAborted); }
        catch (ClaimTakenException)
        {
            // A node port chosen for this update went to another service meanwhile: like a conflict, the client retries.
            throw ApiException.Conflict(r.QualifiedResource, target.Name!, r.Group, r.Resource);
        }
        // An object whose last finalizer was just removed while it is being deleted goes now.
        // (Namespaces wait for their spec.finalizers instead: the garbage collector empties and removes them.)
        if (r.Kind != "Namespace" && ObjectMeta.IsDeleting(saved) && ObjectMeta.Finalizers(saved).Count == 0)
            saved = await objects.DeleteAsync(r, target.Namespace, target.Name!, ObjectMeta.Revision(saved), context.RequestAborted);
        await JsonResponses.Write(context, 200, target.Subresource == "scale" ? Scale.From(r, saved) : saved);
    }

    private async Task Delete(HttpContext context, RequestTarget target)
    {
        var options = context.Request.ContentLength is > 0 ? await JsonResponses.ReadBody(context, strict: false) as JsonObject : null;
        var result = await deleter.Delete(target.Resource, target.Namespace, target.Name!, DeleteOptions.From(options, context), context.RequestAborted);
        await JsonResponses.Write(context, 200, result);
    }

    private async Task DeleteCollection(HttpContext context, RequestTarget target)
    {
        var r = target.Resource;
        var options = context.Request.ContentLength is > 0 ? await JsonResponses.ReadBody(context, strict: false) as JsonObject : null;
        var (items, revision) = await objects.ListAsync(r, target.Namespace, context.RequestAborted);
        var deleted = new List<JsonObject>();
        foreach (var item in Select(context, r, items))
        {
            try { deleted.Add(await deleter.Delete(r, ObjectMeta.Namespace(item), ObjectMeta.Name(item)!, DeleteOptions.From(options, context), context.RequestAborted)); }
            catch (ApiException e) when (e.Code == 404) { }
        }
        await JsonResponses.Write(context, 200, new JsonObject
        {
            ["kind"] = r.Kind + "List",
            ["apiVersion"] = r.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = revision.ToString() },
            ["items"] = new JsonArray(deleted.Select(d => (JsonNode?)d).ToArray()),
        });
    }

    /// <summary>Objects matching ?labelSelector= and ?fieldSelector=.</summary>
    public static IEnumerable<JsonObject> Select(HttpContext context, ResourceDefinition r, IEnumerable<JsonObject> items)
    {
        var labels = Negotiation.LabelSelector(context);
        var fields = Negotiation.FieldSelector(context, r);
        return items.Where(i => (labels is null || labels.Matches(i)) && (fields is null || fields.Matches(i, r.Kind)));
    }

    private async Task<JsonObject> Load(RequestTarget target, CancellationToken ct)
    {
        var r = target.Resource;
        return await objects.GetAsync(r, target.Namespace, target.Name!, ct)
            ?? throw ApiException.NotFound(r.QualifiedResource, target.Name!, r.Group, r.Resource);
    }

    /// <summary>The request's object, of the resource's kind (or a Scale, for /scale), with unknown fields handled per fieldValidation.</summary>
    private static async Task<JsonObject> ReadObject(HttpContext context, ResourceDefinition r, string? subresource = null)
    {
        var strict = Negotiation.IsStrict(context);
        if (await JsonResponses.ReadBody(context, strict) is not JsonObject obj)
            throw ApiException.BadRequest("the request body must be a JSON object");
        var (expectedKind, expectedVersion) = subresource == "scale" ? ("Scale", "autoscaling/v1") : (r.Kind, r.ApiVersion);
        var kind = ObjectMeta.Str(obj["kind"]);
        var apiVersion = ObjectMeta.Str(obj["apiVersion"]);
        if ((kind ?? expectedKind) != expectedKind || (apiVersion ?? expectedVersion) != expectedVersion)
            throw ApiException.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({expectedVersion}) or kind ({kind} vs {expectedKind})");
        obj["kind"] = expectedKind;
        obj["apiVersion"] = expectedVersion;
        FieldValidator.Enforce(obj, expectedVersion, expectedKind, strict);
        return obj;
    }

    private async Task RequireNamespace(string ns, CancellationToken ct)
    {
        var namespaces = catalog.Find("", "v1", "namespaces")!;
        if (await objects.GetAsync(namespaces, null, ns, ct) is not { } found)
            throw ApiException.NotFound("namespaces", ns, "", "namespaces");
        if (ObjectMeta.IsDeleting(found))
            throw new ApiException(403, "Forbidden", $"unable to create new content in namespace {ns} because it is being terminated", ns, "", "namespaces");
    }

    /// <summary>
    /// An update keeps the service's cluster IP (clients leave it out; upstream treats it as set
    /// once) and the node ports of ports it had; node ports that are new are claimed with the write.
    /// </summary>
    private async Task<IReadOnlyList<string>> KeepServiceAddresses(JsonObject current, JsonObject next, CancellationToken ct)
    {
        if (next["spec"] is not JsonObject spec || current["spec"] is not JsonObject old)
            return [];
        foreach (var field in new[] { "clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy", "internalTrafficPolicy" })
            if (spec[field] is null && old[field] is { } value)
                spec[field] = value.DeepClone();
        var type = ObjectMeta.Str(spec["type"]) ?? "ClusterIP";
        if (type is not ("NodePort" or "LoadBalancer"))
        {
            foreach (var p in (spec["ports"] as JsonArray ?? []).OfType<JsonObject>())
                p.Remove("nodePort");
            return [];
        }
        spec["externalTrafficPolicy"] ??= old["externalTrafficPolicy"]?.DeepClone() ?? "Cluster";
        var oldPorts = (old["ports"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        foreach (var p in (spec["ports"] as JsonArray ?? []).OfType<JsonObject>())
            if (p["nodePort"] is null && oldPorts.FirstOrDefault(o => JsonNode.DeepEquals(o["port"], p["port"])) ?["nodePort"] is { } kept)
                p["nodePort"] = kept.DeepClone();
        var held = oldPorts.Select(o => o["nodePort"] is JsonValue v && v.TryGetValue(out int n) ? n : 0).Where(n => n != 0).ToHashSet();
        return await services.PlanNodePortsAsync(next, held, ct);
    }

    /// <summary>Two objects compared without their resourceVersion (what a no-op write would change).</summary>
    private static JsonNode Comparable(JsonObject obj)
    {
        var copy = (JsonObject)obj.DeepClone();
        (copy["metadata"] as JsonObject)?.Remove("resourceVersion");
        return copy;
    }
}
