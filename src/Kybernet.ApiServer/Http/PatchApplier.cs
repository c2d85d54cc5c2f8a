using System.Text.Json.Nodes;
using Kybernet.Api.Patching;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Http;

/// <summary>Applies a PATCH body by its content type to the current object (null: server-side apply of a new one).</summary>
public static class PatchApplier
{
    public static JsonObject Apply(string contentType, JsonObject? current, JsonNode patch, ResourceDefinition r, string? subresource)
    {
        var kind = subresource == "scale" ? "Scale" : r.Kind;
        var target = current is null ? null : subresource == "scale" ? Scale.From(r, current) : current.DeepClone();
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
            throw e.StatusCode == 400 ? ApiException.BadRequest(e.Message) : new ApiException(422, "Invalid", e.Message);
        }
    }

    private static JsonObject AsObject(JsonNode patch) =>
        patch as JsonObject ?? throw ApiException.BadRequest("this patch type needs a JSON object");
}
