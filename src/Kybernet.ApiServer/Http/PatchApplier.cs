using System.Text.Json.Nodes;
using Kybernet.Api.Patching;

namespace Kybernet.ApiServer.Http;

/// <summary>Applies a PATCH body by its content type to what the URL shows (null: server-side apply of a new object).</summary>
public static class PatchApplier
{
    /// <param name="kind">The kind of <paramref name="target"/>, whose schema strategic merge and apply follow.</param>
    public static JsonObject Apply(string contentType, JsonObject? target, JsonNode patch, string kind)
    {
        try
        {
            var result = contentType switch
            {
                "application/merge-patch+json" => MergePatch.Apply(target, patch),
                "application/json-patch+json" => JsonPatch.Apply(target, patch as JsonArray ?? throw ApiException.BadRequest("a JSON patch must be a list of operations")),
                "application/strategic-merge-patch+json" => StrategicMergePatch.Apply(target, AsObject(patch), PatchSchema.Kubernetes, kind),
                "application/apply-patch+yaml" => ApplyPatch.Apply(target, AsObject(patch), PatchSchema.Kubernetes, kind),
                _ => throw ApiException.UnsupportedMediaType(contentType),
            };
            return result as JsonObject ?? throw ApiException.BadRequest("the patch did not produce an object");
        }
        catch (PatchException e)
        {
            // The patch does not apply to this object: the client's error, answered as upstream does (400 or 422).
            throw e.StatusCode == 400 ? ApiException.BadRequest(e.Message) : new ApiException(422, "Invalid", e.Message);
        }
    }

    private static JsonObject AsObject(JsonNode patch) =>
        patch as JsonObject ?? throw ApiException.BadRequest("this patch type needs a JSON object");
}
