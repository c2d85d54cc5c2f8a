using System.Text.Json.Nodes;
using Kybernet.ApiServer.Registry;
using Kybernet.ApiServer.Registry.Subresources;

namespace Kybernet.ApiServer.Schemas;

/// <summary>One operation of a path: its verb, upstream's action name, the kind it is about, and the schemas it reads and answers.</summary>
public sealed record ApiOperation(
    string Method, string Action, string OperationId, string Description, GroupVersionKind Kind,
    string? RequestSchema, string ResponseSchema, IReadOnlyList<string> Query);

/// <summary>
/// The paths of a resource, as upstream's documents list them: the collection (list, create,
/// deletecollection), the same collection across namespaces (list), one object (read, replace,
/// patch, delete) and its subresources, each operation with x-kubernetes-action and
/// x-kubernetes-group-version-kind (what kubectl explain finds a resource's kind by).
/// <para>
/// Every patch operation has a fieldValidation parameter: kubectl then leaves validation to the
/// server (fieldValidation=Strict). It declares no request body. <b>Decision:</b> with one, kubectl
/// apply would build its strategic merge patches from these schemas, which carry no
/// x-kubernetes-patch-merge-key/strategy; without one it uses its compiled-in types, which are exact.
/// </para>
/// </summary>
public static class ApiPaths
{
    private static readonly string[] WriteQuery = ["dryRun", "fieldManager", "fieldValidation"];
    private static readonly string[] PatchQuery = ["dryRun", "fieldManager", "fieldValidation", "force"];
    private static readonly string[] DeleteQuery = ["dryRun", "gracePeriodSeconds", "propagationPolicy"];
    private static readonly string[] ListQuery =
        ["allowWatchBookmarks", "continue", "fieldSelector", "labelSelector", "limit", "resourceVersion", "resourceVersionMatch", "timeoutSeconds", "watch"];

    /// <summary>The paths of <paramref name="strategy"/>'s resource; <paramref name="schemaOf"/> names a kind's schema (null: no model).</summary>
    public static IEnumerable<(string Path, IReadOnlyList<ApiOperation> Operations)> For(ResourceStrategy strategy, Func<GroupVersionKind, string?> schemaOf)
    {
        // Only the verbs the resource serves (core/v1 bindings: create), and no path left without an operation.
        var verbs = strategy.Resource.Verbs;
        foreach (var (path, operations) in AllFor(strategy, schemaOf))
        {
            var served = path.Contains("/{name}/", StringComparison.Ordinal)
                ? operations
                : operations.Where(o => verbs.Contains(o.Action switch { "post" => "create", "put" => "update", var action => action })).ToList();
            if (served.Count > 0)
                yield return (path, served);
        }
    }

    private static IEnumerable<(string Path, IReadOnlyList<ApiOperation> Operations)> AllFor(ResourceStrategy strategy, Func<GroupVersionKind, string?> schemaOf)
    {
        var r = strategy.Resource;
        var kind = new GroupVersionKind(r.Group, r.Version, r.Kind);
        var prefix = r.Group.Length == 0 ? $"/api/{r.Version}" : $"/apis/{r.Group}/{r.Version}";
        var collection = r.Namespaced ? $"{prefix}/namespaces/{{namespace}}/{r.Resource}" : $"{prefix}/{r.Resource}";
        var scope = r.Namespaced ? "Namespaced" : "";
        var id = OperationPrefix(r.Group, r.Version);
        var item = schemaOf(kind) ?? "";
        var list = schemaOf(kind with { Kind = r.Kind + "List" }) ?? "";
        const string Status = SchemaNames.Status, DeleteOptions = SchemaNames.DeleteOptions;

        // A review (create only, never stored) has one operation: its POST.
        if (!r.Verbs.Contains("get"))
        {
            yield return (collection, [new("post", "post", $"create{id}{scope}{r.Kind}", $"create a {r.Kind}", kind, item, item, WriteQuery)]);
            yield break;
        }
        yield return (collection,
        [
            new("get", "list", $"list{id}{scope}{r.Kind}", $"list or watch objects of kind {r.Kind}", kind, null, list, ListQuery),
            new("post", "post", $"create{id}{scope}{r.Kind}", $"create a {r.Kind}", kind, item, item, WriteQuery),
            new("delete", "deletecollection", $"deletecollection{id}{scope}{r.Kind}", $"delete collection of {r.Kind}", kind, DeleteOptions, Status, [.. DeleteQuery, .. ListQuery]),
        ]);
        if (r.Namespaced)
            yield return ($"{prefix}/{r.Resource}", [new("get", "list", $"list{id}{r.Kind}ForAllNamespaces", $"list or watch objects of kind {r.Kind}", kind, null, list, ListQuery)]);
        yield return ($"{collection}/{{name}}",
        [
            new("get", "get", $"read{id}{scope}{r.Kind}", $"read the specified {r.Kind}", kind, null, item, []),
            new("put", "put", $"replace{id}{scope}{r.Kind}", $"replace the specified {r.Kind}", kind, item, item, WriteQuery),
            new("patch", "patch", $"patch{id}{scope}{r.Kind}", $"partially update the specified {r.Kind}", kind, null, item, PatchQuery),
            new("delete", "delete", $"delete{id}{scope}{r.Kind}", $"delete a {r.Kind}", kind, DeleteOptions, item, DeleteQuery),
        ]);
        foreach (var sub in strategy.Subresources)
        {
            var subKind = sub.ResponseKind;
            var schema = schemaOf(subKind) ?? "";
            var name = char.ToUpperInvariant(sub.Name[0]) + sub.Name[1..];
            var operations = sub switch
            {
                ActionSubresource => new List<ApiOperation>
                {
                    new("post", "post", $"create{id}{scope}{r.Kind}{name}", $"create {sub.Name} of a {r.Kind}", subKind, schema, schema, WriteQuery),
                },
                _ => sub.Verbs.Select(verb => verb switch
                {
                    "get" => new ApiOperation("get", "get", $"read{id}{scope}{r.Kind}{name}", $"read {sub.Name} of the specified {r.Kind}", subKind, null, schema, []),
                    "update" => new ApiOperation("put", "put", $"replace{id}{scope}{r.Kind}{name}", $"replace {sub.Name} of the specified {r.Kind}", subKind, schema, schema, WriteQuery),
                    "patch" => new ApiOperation("patch", "patch", $"patch{id}{scope}{r.Kind}{name}", $"partially update {sub.Name} of the specified {r.Kind}", subKind, null, schema, PatchQuery),
                    _ => null,
                }).OfType<ApiOperation>().ToList(),
            };
            yield return ($"{collection}/{{name}}/{sub.Name}", operations);
        }
    }

    /// <summary>The path's operations in v3 form (components.schemas references).</summary>
    public static JsonObject V3(string path, IEnumerable<ApiOperation> operations)
    {
        var item = new JsonObject();
        foreach (var op in operations)
        {
            var operation = Common(op);
            operation["parameters"] = new JsonArray([.. PathParameters(path, v3: true), .. op.Query.Select(q => QueryParameter(q, v3: true))]);
            if (op.RequestSchema is { Length: > 0 } request)
                operation["requestBody"] = new JsonObject { ["content"] = new JsonObject { ["*/*"] = new JsonObject { ["schema"] = Ref(request, v3: true) } } };
            var ok = new JsonObject { ["description"] = "OK" };
            if (op.ResponseSchema.Length > 0)
                ok["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = Ref(op.ResponseSchema, v3: true) } };
            operation["responses"] = new JsonObject { ["200"] = ok, ["401"] = new JsonObject { ["description"] = "Unauthorized" } };
            item[op.Method] = operation;
        }
        return item;
    }

    /// <summary>The path's operations in swagger 2.0 form (definitions references, a body parameter).</summary>
    public static JsonObject V2(string path, IEnumerable<ApiOperation> operations)
    {
        var item = new JsonObject();
        foreach (var op in operations)
        {
            var operation = Common(op);
            operation["consumes"] = new JsonArray("*/*");
            operation["produces"] = new JsonArray("application/json");
            var parameters = new List<JsonNode?>([.. PathParameters(path, v3: false), .. op.Query.Select(q => QueryParameter(q, v3: false))]);
            if (op.RequestSchema is { Length: > 0 } request)
                parameters.Add(new JsonObject { ["name"] = "body", ["in"] = "body", ["required"] = true, ["schema"] = Ref(request, v3: false) });
            operation["parameters"] = new JsonArray([.. parameters]);
            var ok = new JsonObject { ["description"] = "OK" };
            if (op.ResponseSchema.Length > 0)
                ok["schema"] = Ref(op.ResponseSchema, v3: false);
            operation["responses"] = new JsonObject { ["200"] = ok, ["401"] = new JsonObject { ["description"] = "Unauthorized" } };
            item[op.Method] = operation;
        }
        return item;
    }

    private static JsonObject Common(ApiOperation op) => new()
    {
        ["description"] = op.Description,
        ["operationId"] = op.OperationId,
        ["x-kubernetes-action"] = op.Action,
        ["x-kubernetes-group-version-kind"] = new JsonObject { ["group"] = op.Kind.Group, ["version"] = op.Kind.Version, ["kind"] = op.Kind.Kind },
    };

    private static JsonObject Ref(string schema, bool v3) => new() { ["$ref"] = (v3 ? "#/components/schemas/" : "#/definitions/") + schema };

    private static IEnumerable<JsonNode> PathParameters(string path, bool v3) =>
        new[] { "name", "namespace" }.Where(p => path.Contains($"{{{p}}}", StringComparison.Ordinal)).Select(p => v3
            ? new JsonObject { ["name"] = p, ["in"] = "path", ["required"] = true, ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true } }
            : new JsonObject { ["name"] = p, ["in"] = "path", ["required"] = true, ["type"] = "string", ["uniqueItems"] = true });

    private static JsonNode QueryParameter(string name, bool v3)
    {
        var type = name switch
        {
            "limit" or "timeoutSeconds" or "gracePeriodSeconds" => "integer",
            "watch" or "allowWatchBookmarks" or "force" => "boolean",
            _ => "string",
        };
        return v3
            ? new JsonObject { ["name"] = name, ["in"] = "query", ["schema"] = new JsonObject { ["type"] = type, ["uniqueItems"] = true } }
            : new JsonObject { ["name"] = name, ["in"] = "query", ["type"] = type, ["uniqueItems"] = true };
    }

    /// <summary>Upstream's operation id stem: CoreV1, AppsV1, NetworkingV1, RbacAuthorizationV1, AutoscalingV2.</summary>
    private static string OperationPrefix(string group, string version)
    {
        var name = group.Length == 0 ? "core" : group.EndsWith(".k8s.io", StringComparison.Ordinal) ? group[..^".k8s.io".Length] : group;
        return string.Concat(name.Split('.').Select(Capitalized)) + Capitalized(version);
    }

    private static string Capitalized(string word) => word.Length == 0 ? word : char.ToUpperInvariant(word[0]) + word[1..];
}
