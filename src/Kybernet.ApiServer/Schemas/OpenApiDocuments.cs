using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using k8s.Models;
using Kybernet.ApiServer.Registry;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Schemas;

/// <summary>
/// The OpenAPI documents of what the server serves: an OpenAPI v3 document per group-version
/// (paths of its resources, components.schemas of every kind they serve and every type those reach),
/// the /openapi/v3 index naming each with a hash of its content (as upstream's serverRelativeURL), and
/// one swagger 2.0 document of everything. Built once per process, on first use, from the catalog and
/// the official models, and kept as the bytes they are sent as.
/// </summary>
public sealed class OpenApiDocuments(ResourceCatalog catalog)
{
    public const string Version = "v1.32.4";

    /// <summary>A document as it is sent, and the hash of its bytes (upstream's: SHA-512, upper-case hex).</summary>
    public sealed record Document(byte[] Json, string Hash);

    private sealed record Built(Document Index, IReadOnlyDictionary<string, Document> ByGroupVersion, Document Swagger);

    private readonly Lazy<Built> _built = new(() => Build(catalog), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>GET /openapi/v3: {"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=..."},...}}.</summary>
    public Document V3Index => _built.Value.Index;

    /// <summary>The v3 document of "api/v1" or "apis/GROUP/VERSION"; null for a group-version not served.</summary>
    public Document? V3(string groupVersionPath) => _built.Value.ByGroupVersion.GetValueOrDefault(groupVersionPath);

    /// <summary>The swagger 2.0 document (GET /openapi/v2 as JSON).</summary>
    public Document V2 => _built.Value.Swagger;

    private static Built Build(ResourceCatalog catalog)
    {
        var schemas = new ModelSchemas(ModelDocs.Load());
        schemas.Define(typeof(V1Status), "meta");
        schemas.Define(typeof(V1DeleteOptions), "meta");
        string? SchemaOf(GroupVersionKind kind) =>
            KindModels.Find(kind) is { } model ? schemas.Define(model, SchemaNames.PackageOf(kind.Group)) : null;

        // Core's kinds first, so the types they share with other groups' (pod templates) are named as core's.
        var resources = catalog.Strategies
            .OrderBy(s => s.Resource.Group.Length == 0 ? 0 : 1)
            .ThenBy(s => s.Resource.Group, StringComparer.Ordinal)
            .Select(s => (s.Resource, Paths: ApiPaths.For(s, SchemaOf).ToList()))
            .ToList();

        var byGroupVersion = new Dictionary<string, Document>(StringComparer.Ordinal);
        foreach (var groupVersion in resources.GroupBy(r => r.Resource.Group.Length == 0 ? $"api/{r.Resource.Version}" : $"apis/{r.Resource.Group}/{r.Resource.Version}"))
        {
            var paths = new JsonObject();
            foreach (var (path, operations) in groupVersion.SelectMany(r => r.Paths))
                paths[path] = ApiPaths.V3(path, operations);
            var components = new JsonObject();
            foreach (var name in Closure(paths, schemas.V3).Order(StringComparer.Ordinal))
                components[name] = schemas.V3[name].DeepClone();
            byGroupVersion[groupVersion.Key] = Serialize(new JsonObject
            {
                ["openapi"] = "3.0.0",
                ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = Version },
                ["paths"] = paths,
                ["components"] = new JsonObject { ["schemas"] = components },
            });
        }

        var index = new JsonObject();
        foreach (var (path, document) in byGroupVersion)
            index[path] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{path}?hash={document.Hash}" };

        var swaggerPaths = new JsonObject();
        foreach (var (path, operations) in resources.SelectMany(r => r.Paths))
            swaggerPaths[path] = ApiPaths.V2(path, operations);
        var definitions = new JsonObject();
        foreach (var (name, schema) in schemas.V2.OrderBy(d => d.Key, StringComparer.Ordinal))
            definitions[name] = schema.DeepClone();
        var swagger = Serialize(new JsonObject
        {
            ["swagger"] = "2.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = Version },
            ["paths"] = swaggerPaths,
            ["definitions"] = definitions,
        });

        return new Built(Serialize(new JsonObject { ["paths"] = index }), byGroupVersion, swagger);
    }

    /// <summary>The schemas <paramref name="paths"/> refer to, and the ones those refer to, and so on.</summary>
    private static HashSet<string> Closure(JsonNode paths, IReadOnlyDictionary<string, JsonObject> schemas)
    {
        const string Prefix = "#/components/schemas/";
        var found = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<JsonNode>([paths]);
        while (pending.TryPop(out var node))
        {
            switch (node)
            {
                case JsonObject obj:
                    foreach (var (key, value) in obj)
                    {
                        if (key == "$ref" && value?.GetValue<string>() is { } reference && reference.StartsWith(Prefix, StringComparison.Ordinal))
                        {
                            var name = reference[Prefix.Length..];
                            if (found.Add(name))
                                pending.Push(schemas[name]);
                        }
                        else if (value is not null)
                            pending.Push(value);
                    }
                    break;
                case JsonArray array:
                    foreach (var item in array.OfType<JsonNode>())
                        pending.Push(item);
                    break;
            }
        }
        return found;
    }

    private static Document Serialize(JsonObject document)
    {
        var json = Encoding.UTF8.GetBytes(document.ToJsonString());
        return new Document(json, Convert.ToHexString(SHA512.HashData(json)));
    }
}
