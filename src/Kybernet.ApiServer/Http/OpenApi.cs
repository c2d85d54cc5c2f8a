using System.Text.Json.Nodes;
using Kybernet.ApiServer.Resources;
using Microsoft.AspNetCore.Http;

namespace Kybernet.ApiServer.Http;

/// <summary>
/// The OpenAPI documents kubectl reads before create/apply/replace. /openapi/v3 indexes one
/// document per group-version; each declares, for every kind, a patch operation with its
/// x-kubernetes-group-version-kind and a fieldValidation parameter: that is what makes kubectl
/// leave validation to the server (fieldValidation=Strict). /openapi/v2 is the minimal valid
/// protobuf document, for the kubectl paths that still ask for it. (No schemas yet: `kubectl
/// explain` needs them.)
/// </summary>
public sealed class OpenApi(ResourceCatalog catalog)
{
    /// <summary>swagger "2.0", info {title "Kubernetes", version "v1.32.0"} in protobuf (gnostic's Document).</summary>
    private static readonly byte[] V2Protobuf = Convert.FromHexString("0a03322e3012150a0a4b756265726e65746573120776312e33322e30");

    public Task V2(HttpContext context)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/octet-stream";
        return context.Response.Body.WriteAsync(V2Protobuf, context.RequestAborted).AsTask();
    }

    public Task V3Index(HttpContext context)
    {
        var paths = new JsonObject();
        foreach (var (group, path) in GroupVersions())
            paths[path] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{path}?hash={Hash(group)}" };
        return JsonResponses.Write(context, 200, new JsonObject { ["paths"] = paths });
    }

    /// <summary>GET /openapi/v3/api/v1 or /openapi/v3/apis/GROUP/v1</summary>
    public Task V3Document(HttpContext context, string path)
    {
        var match = GroupVersions().FirstOrDefault(g => g.Path == path);
        if (match.Path is null)
            throw new ApiException(404, "NotFound", $"no OpenAPI document for {path}");
        var paths = new JsonObject();
        foreach (var r in catalog.InGroupVersion(match.Group, "v1"))
        {
            var prefix = match.Group.Length == 0 ? "/api/v1" : $"/apis/{match.Group}/v1";
            var url = r.Namespaced ? $"{prefix}/namespaces/{{namespace}}/{r.Resource}/{{name}}" : $"{prefix}/{r.Resource}/{{name}}";
            paths[url] = new JsonObject
            {
                ["patch"] = new JsonObject
                {
                    ["operationId"] = $"patch{r.Kind}",
                    ["parameters"] = new JsonArray(
                        Parameter("dryRun"), Parameter("fieldManager"), Parameter("fieldValidation"), Parameter("force")),
                    ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK" } },
                    ["x-kubernetes-action"] = "patch",
                    ["x-kubernetes-group-version-kind"] = new JsonObject { ["group"] = r.Group, ["version"] = r.Version, ["kind"] = r.Kind },
                },
            };
        }
        return JsonResponses.Write(context, 200, new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.32.0" },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = new JsonObject() },
        });
    }

    private IEnumerable<(string Group, string Path)> GroupVersions() =>
        catalog.All.Select(r => r.Group).Distinct().Select(g => (g, g.Length == 0 ? "api/v1" : $"apis/{g}/v1"));

    private static JsonObject Parameter(string name) => new()
    {
        ["name"] = name,
        ["in"] = "query",
        ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true },
    };

    private static string Hash(string group) => Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes("kybernet-" + group))[..16];
}
