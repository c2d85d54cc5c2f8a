using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Lifecycle;
using Kybernet.ApiServer.Registry;
using Kybernet.ApiServer.Registry.Reviews;
using Kybernet.ApiServer.Registry.Subresources;
using Kybernet.ApiServer.Resources;
using Kybernet.ApiServer.Storage;
using Kybernet.ApiServer.Tables;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Kybernet.ApiServer.Http;

/// <summary>
/// The verbs on resource URLs: list/watch, get, create, update, patch, delete, deletecollection,
/// and the subresources each kind's strategy has, with the conventions kubectl relies on (dryRun,
/// fieldValidation, resourceVersion preconditions, Table output). What the kind does is asked of
/// its strategy, through the <see cref="ResourceRegistry"/> and the <see cref="Deleter"/>.
/// </summary>
public sealed class ResourceHandler(ObjectStore objects, ResourceCatalog catalog, ResourceRegistry registry, Deleter deleter, Security.Authorization.Authorizer authorizer, ILoggerFactory loggers)
{
    public async Task Handle(HttpContext context, RequestTarget target)
    {
        var method = context.Request.Method;
        var r = target.Resource;
        var strategy = catalog.StrategyFor(r);
        // /api/v1/pods (no namespace) lists and watches across namespaces, and does nothing else.
        if (r.Namespaced && target.Namespace is null && method != "GET")
            throw ApiException.MethodNotAllowed($"the server does not allow this method on the requested resource ({method} {r.QualifiedResource} across all namespaces)");
        if (strategy is ReviewStrategy review)
        {
            // Reviews are asked and answered, never stored: a POST is all they serve.
            if (method != "POST" || target.Name is not null || target.Subresource is not null)
                throw ApiException.MethodNotAllowed($"the server does not allow this method on the requested resource ({method} {r.QualifiedResource})");
            var body = await ReadObject(context, r.Kind, r.ApiVersion);
            await JsonResponses.Write(context, 201, await review.ReviewAsync(context, target.Namespace, body));
            return;
        }
        if (target.Subresource is { } name)
        {
            var subresource = strategy.FindSubresource(name)
                ?? throw new ApiException(404, "NotFound", $"the server could not find the requested resource ({name} of {r.QualifiedResource})");
            if (target.Name is null || !subresource.Serves(Verb(method)))
                throw ApiException.MethodNotAllowed($"the server does not allow this method on the requested resource ({method} {r.QualifiedResource}/{name})");
            switch (subresource)
            {
                case ViewSubresource view:
                    await Serve(context, target, strategy, view);
                    break;
                case ActionSubresource action:
                    await Act(context, target, action);
                    break;
                case ConnectSubresource connect:
                    await connect.ServeAsync(new ConnectRequest(target.Namespace, target.Name, context), context.RequestAborted);
                    break;
            }
            return;
        }

        if (!r.Verbs.Contains(target.Name is null && method == "GET" ? "list" : Verb(method)))
            throw ApiException.MethodNotAllowed($"the server does not allow this method on the requested resource ({method} {r.QualifiedResource})");
        switch (method, target.Name)
        {
            case ("GET", null) when context.Request.Query["watch"] is { Count: > 0 } w && w[0] is "true" or "1":
                await new WatchStream(objects, r, loggers.CreateLogger<WatchStream>()).Serve(context, target.Namespace);
                break;
            case ("GET", null):
                await List(context, target);
                break;
            case ("POST", null):
                await Create(context, target, strategy);
                break;
            case ("DELETE", not null):
                await Delete(context, target);
                break;
            case ("DELETE", null):
                await DeleteCollection(context, target);
                break;
            case ("GET" or "PUT" or "PATCH", not null):
                await Serve(context, target, strategy, new WholeObject(strategy));
                break;
            default:
                throw ApiException.MethodNotAllowed($"the server does not allow this method on the requested resource ({method} {r.QualifiedResource})");
        }
    }

    /// <summary>GET, PUT or PATCH of one object's URL: the object itself or a view a subresource gives of it.</summary>
    private Task Serve(HttpContext context, RequestTarget target, ResourceStrategy strategy, IObjectView view) => context.Request.Method switch
    {
        "GET" => Get(context, target, view),
        "PUT" => Update(context, target, strategy, view),
        "PATCH" => Patch(context, target, strategy, view),
        var method => throw ApiException.MethodNotAllowed($"the server does not allow this method on the requested resource ({method} {target.Resource.QualifiedResource})"),
    };

    /// <summary>The verb discovery names for an HTTP method on an object's URL.</summary>
    private static string Verb(string method) => method switch
    {
        "GET" => "get",
        "PUT" => "update",
        "PATCH" => "patch",
        "POST" => "create",
        "DELETE" => "delete",
        _ => method.ToLowerInvariant(),
    };

    /// <summary>A list, or one page of it (?limit=, ?continue=: <see cref="ListPaging"/>), as a Table when asked for one.</summary>
    private async Task List(HttpContext context, RequestTarget target)
    {
        var r = target.Resource;
        var page = await ListPaging.ReadAsync(context, objects, r, target.Namespace, Matcher(context, r));
        var meta = ListPaging.ListMeta(page, r, target.Namespace);
        if (Negotiation.WantsTable(context))
        {
            await JsonResponses.Write(context, 200, TableWriter.ForList(r, page.Items, meta), Negotiation.TableContentType);
            return;
        }
        var list = new JsonObject
        {
            ["kind"] = r.Kind + "List",
            ["apiVersion"] = r.ApiVersion,
            ["metadata"] = meta,
            ["items"] = new JsonArray(page.Items.Select(i => (JsonNode?)i).ToArray()),
        };
        await JsonResponses.Write(context, 200, list);
    }

    private async Task Get(HttpContext context, RequestTarget target, IObjectView view)
    {
        var obj = await registry.GetAsync(target.Resource, target.Namespace, target.Name!, context.RequestAborted);
        if (view is WholeObject && Negotiation.WantsTable(context))
        {
            await JsonResponses.Write(context, 200, TableWriter.ForObject(target.Resource, obj), Negotiation.TableContentType);
            return;
        }
        await JsonResponses.Write(context, 200, view.Show(obj));
    }

    /// <summary>A POST to an action subresource: the body read as the kind it takes, then the action's answer.</summary>
    private static async Task Act(HttpContext context, RequestTarget target, ActionSubresource action)
    {
        var body = await ReadObject(context, action.ResponseKind.Kind, action.ResponseKind.ApiVersion);
        var (status, answer) = await action.PostAsync(
            new ActionRequest(target.Namespace, target.Name!, body, Negotiation.IsDryRun(context), context), context.RequestAborted);
        await JsonResponses.Write(context, status, answer);
    }

    private async Task Create(HttpContext context, RequestTarget target, ResourceStrategy strategy)
    {
        var r = target.Resource;
        var obj = await ReadObject(context, strategy.Resource.Kind, strategy.Resource.ApiVersion);
        if (strategy.CreateAction is { } action)
        {
            var (status, answer) = await action.PostAsync(
                new ActionRequest(target.Namespace, ObjectMeta.Name(obj) ?? "", obj, Negotiation.IsDryRun(context), context), context.RequestAborted);
            await JsonResponses.Write(context, status, answer);
            return;
        }
        if (r.Namespaced && ObjectMeta.Namespace(obj) is { } bodyNs && bodyNs != target.Namespace)
            throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        strategy.AdmitWrite(context, target.Namespace, obj);
        var created = await registry.CreateAsync(strategy, target.Namespace, obj, Negotiation.IsDryRun(context), context.RequestAborted);
        await JsonResponses.Write(context, 201, created);
    }

    private async Task Update(HttpContext context, RequestTarget target, ResourceStrategy strategy, IObjectView view)
    {
        var r = target.Resource;
        var incoming = await ReadObject(context, view.ResponseKind.Kind, view.ResponseKind.ApiVersion);
        if (ObjectMeta.Name(incoming) is { } bodyName && bodyName != target.Name)
            throw ApiException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({target.Name})");
        var current = await registry.GetAsync(r, target.Namespace, target.Name!, context.RequestAborted);
        long expected = ObjectMeta.Revision(incoming);
        if (expected != 0 && expected != ObjectMeta.Revision(current))
            throw ApiException.Conflict(r.QualifiedResource, target.Name!, r.Group, r.Resource);
        var next = view.ApplyTo(current, incoming);
        strategy.AdmitWrite(context, target.Namespace, next);
        var saved = await registry.UpdateAsync(strategy, target.Namespace, target.Name!, current, next, Negotiation.IsDryRun(context), context.RequestAborted);
        await JsonResponses.Write(context, 200, view.Show(saved));
    }

    private async Task Patch(HttpContext context, RequestTarget target, ResourceStrategy strategy, IObjectView view)
    {
        var r = target.Resource;
        var kind = view.ResponseKind;
        var contentType = (context.Request.ContentType ?? "").Split(';')[0].Trim();
        var patch = await JsonResponses.ReadBody(context, strict: Negotiation.IsStrict(context));
        for (int attempt = 0; ; attempt++)
        {
            JsonObject? current;
            try { current = await registry.GetAsync(r, target.Namespace, target.Name!, context.RequestAborted); }
            catch (ApiException e) when (e.Code == 404 && contentType == "application/apply-patch+yaml" && view is WholeObject)
            {
                current = null; // server-side apply creates what does not exist
            }
            var patched = PatchApplier.Apply(contentType, current is null ? null : (JsonObject)view.Show(current).DeepClone(), patch, kind.Kind);
            FieldValidator.Enforce(patched, kind.ApiVersion, kind.Kind, Negotiation.IsStrict(context));
            if (current is null)
            {
                await CreateFromApply(context, target, strategy, patched);
                return;
            }
            // A resourceVersion inside the patch is a precondition (kubectl diff and edit send one).
            if (ObjectMeta.Revision(patched) is var wanted and not 0 && wanted != ObjectMeta.Revision(current))
                throw ApiException.Conflict(r.QualifiedResource, target.Name!, r.Group, r.Resource);
            try
            {
                var next = view.ApplyTo(current, patched);
                strategy.AdmitWrite(context, target.Namespace, next);
                var saved = await registry.UpdateAsync(strategy, target.Namespace, target.Name!, current, next, Negotiation.IsDryRun(context), context.RequestAborted);
                await JsonResponses.Write(context, 200, view.Show(saved));
                return;
            }
            catch (ApiException e) when (e.Reason == "Conflict" && attempt < 5 && ObjectMeta.ResourceVersion(patch as JsonObject ?? []) is null)
            {
                // Someone wrote in between: a patch without a precondition is re-applied to the new state.
            }
        }
    }

    private async Task CreateFromApply(HttpContext context, RequestTarget target, ResourceStrategy strategy, JsonObject obj)
    {
        var meta = ObjectMeta.Metadata(obj);
        meta["name"] = target.Name;
        // The gate judged a patch; making the object is a create, which the user must also be allowed (as upstream).
        var r = target.Resource;
        authorizer.Require(Security.Authorization.RequestAttributes.ForResource(Security.RequestUser.Get(context), "create", r.Group, r.Resource, ns: target.Namespace ?? "", name: target.Name ?? ""));
        strategy.AdmitWrite(context, target.Namespace, obj);
        var created = await registry.CreateAsync(strategy, target.Namespace, obj, Negotiation.IsDryRun(context), context.RequestAborted);
        await JsonResponses.Write(context, 201, created);
    }

    private async Task Delete(HttpContext context, RequestTarget target)
    {
        var options = context.Request.ContentLength is > 0 ? await JsonResponses.ReadBody(context, strict: false) as JsonObject : null;
        var result = await deleter.Delete(target.Resource, target.Namespace, target.Name!, DeleteOptions.From(options, context), context.RequestAborted);
        await JsonResponses.Write(context, 200, result);
    }

    /// <summary>
    /// Deletes what the selectors match, reading the collection in pages of <see cref="DeleteChunk"/>
    /// (each at the then current revision, from where the last one ended), so a big collection is
    /// never decoded at once. Answers the deleted objects, as upstream does.
    /// </summary>
    private async Task DeleteCollection(HttpContext context, RequestTarget target)
    {
        var r = target.Resource;
        var options = context.Request.ContentLength is > 0 ? await JsonResponses.ReadBody(context, strict: false) as JsonObject : null;
        var matches = Matcher(context, r);
        var deleted = new List<JsonObject>();
        long revision = 0;
        string? start = null;
        do
        {
            var page = await objects.ListPageAsync(r, target.Namespace, new PageRequest(DeleteChunk, StartKey: start), matches, context.RequestAborted);
            revision = Math.Max(revision, page.Revision);
            foreach (var item in page.Items)
            {
                try { deleted.Add(await deleter.Delete(r, ObjectMeta.Namespace(item), ObjectMeta.Name(item)!, DeleteOptions.From(options, context), context.RequestAborted)); }
                catch (ApiException e) when (e.Code == 404)
                {
                    // Gone between the list and its delete (another client, the collector): what the request wanted.
                }
            }
            start = page.NextKey;
        }
        while (start is not null);
        await JsonResponses.Write(context, 200, new JsonObject
        {
            ["kind"] = r.Kind + "List",
            ["apiVersion"] = r.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = revision.ToString() },
            ["items"] = new JsonArray(deleted.Select(d => (JsonNode?)d).ToArray()),
        });
    }

    /// <summary>How many objects a deletecollection reads at a time.</summary>
    private const int DeleteChunk = 500;

    /// <summary>The filter of ?labelSelector= and ?fieldSelector=; null when there is none (every object matches).</summary>
    private static Func<JsonObject, bool>? Matcher(HttpContext context, ResourceDefinition r)
    {
        var labels = Negotiation.LabelSelector(context);
        var fields = Negotiation.FieldSelector(context, r);
        if (labels is null && fields is null)
            return null;
        return item => (labels is null || labels.Matches(item)) && (fields is null || fields.Matches(item, r.Kind));
    }

    /// <summary>The request's object, of the expected kind, with unknown fields handled per fieldValidation.</summary>
    private static async Task<JsonObject> ReadObject(HttpContext context, string expectedKind, string expectedVersion)
    {
        var strict = Negotiation.IsStrict(context);
        if (await JsonResponses.ReadBody(context, strict) is not JsonObject obj)
            throw ApiException.BadRequest("the request body must be a JSON object");
        var kind = ObjectMeta.Str(obj["kind"]);
        var apiVersion = ObjectMeta.Str(obj["apiVersion"]);
        if ((kind ?? expectedKind) != expectedKind || (apiVersion ?? expectedVersion) != expectedVersion)
            throw ApiException.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({expectedVersion}) or kind ({kind} vs {expectedKind})");
        obj["kind"] = expectedKind;
        obj["apiVersion"] = expectedVersion;
        FieldValidator.Enforce(obj, expectedVersion, expectedKind, strict);
        return obj;
    }
}
