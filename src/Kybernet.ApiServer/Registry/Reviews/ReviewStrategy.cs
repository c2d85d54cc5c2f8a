using System.Text.Json.Nodes;
using Kybernet.ApiServer.Resources;
using Microsoft.AspNetCore.Http;

namespace Kybernet.ApiServer.Registry.Reviews;

/// <summary>
/// A kind that is a question, never stored (upstream's create-only REST of the authentication and
/// authorization groups): a POST of the object is answered with it and its status filled in.
/// </summary>
public abstract class ReviewStrategy(ResourceDefinition resource) : ResourceStrategy(resource)
{
    /// <summary>A review kind of <paramref name="group"/>/v1, served with the verb create only.</summary>
    protected static ResourceDefinition Define(string group, string kind, string resource, bool namespaced = false) =>
        ResourceDefinition.Grouped(group, kind, resource, kind.ToLowerInvariant(), namespaced) with { Verbs = ["create"] };

    /// <summary>The answer to <paramref name="body"/>: the object as sent, with its status.</summary>
    public abstract Task<JsonObject> ReviewAsync(HttpContext context, string? ns, JsonObject body);

    protected static JsonObject Answer(JsonObject body, JsonObject status)
    {
        var answer = (JsonObject)body.DeepClone();
        answer["metadata"] = answer["metadata"] as JsonObject ?? new JsonObject();
        ((JsonObject)answer["metadata"]!)["creationTimestamp"] = null;
        answer["status"] = status;
        return answer;
    }
}
