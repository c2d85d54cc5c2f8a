using System.Text.Json.Nodes;

namespace Kybernet.Api.Patching;

/// <summary>JSON merge patch, RFC 7386 (<c>application/merge-patch+json</c>).</summary>
public static class MergePatch
{
    /// <summary>
    /// Applies <paramref name="patch"/> to <paramref name="target"/> and returns the result.
    /// Neither argument is modified. A patch that is an object merges member by member
    /// (a null member deletes, an object member merges recursively); any other patch,
    /// arrays included, replaces the target whole. A JSON null patch yields null.
    /// </summary>
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
            return patch?.DeepClone();

        var result = target is JsonObject targetObject ? (JsonObject)targetObject.DeepClone() : new JsonObject();
        MergeInto(result, patchObject);
        return result;
    }

    private static void MergeInto(JsonObject result, JsonObject patch)
    {
        foreach (var (name, value) in patch)
        {
            if (value is null)
            {
                result.Remove(name);
            }
            else if (value is JsonObject nested)
            {
                if (result[name] is not JsonObject existing)
                {
                    existing = new JsonObject();
                    result[name] = existing;
                }
                MergeInto(existing, nested);
            }
            else
            {
                result[name] = value.DeepClone();
            }
        }
    }
}
