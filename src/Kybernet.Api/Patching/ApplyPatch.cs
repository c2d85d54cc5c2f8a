using System.Text.Json.Nodes;

namespace Kybernet.Api.Patching;

/// <summary>
/// Server-side apply (<c>application/apply-patch+yaml</c>; kubectl sends JSON in it), first version.
/// </summary>
/// <remarks>
/// Real server-side apply treats the applied configuration as the complete set of fields its field
/// manager owns: it records ownership in <c>metadata.managedFields</c>, reports conflicts with other
/// managers (409 unless <c>force=true</c>), and removes fields the manager owned before but no longer
/// applies. <b>This version does none of that.</b> It merges the applied configuration into the live
/// object with strategic-merge semantics (lists merge by their merge keys from the schema, other
/// lists are replaced whole, a null value deletes the field) and nothing else: no managedFields, no
/// conflicts, and a field dropped from a later configuration stays in the object. Patch directives
/// (<c>$patch</c>, <c>$setElementOrder/...</c>, ...) have no meaning in an apply configuration and are
/// rejected. When there is no live object, the result is the configuration itself (a create).
/// </remarks>
public static class ApplyPatch
{
    /// <summary>Merges <paramref name="applied"/> into <paramref name="live"/> (null: none yet) and returns the result.</summary>
    /// <exception cref="PatchException">
    /// BadRequest if the configuration lacks apiVersion or kind, names another kind than
    /// <paramref name="kind"/> or the live object's, or contains patch directives.
    /// </exception>
    public static JsonNode? Apply(JsonNode? live, JsonObject applied, PatchSchema schema, string? kind = null)
    {
        var appliedKind = StrategicMergePatch.KindOf(applied);
        if (appliedKind is null || applied["apiVersion"] is not JsonValue)
            throw new PatchException(PatchFailure.BadRequest, "an apply configuration must set apiVersion and kind");
        var expected = kind ?? StrategicMergePatch.KindOf(live);
        if (expected is not null && expected != appliedKind)
            throw new PatchException(PatchFailure.BadRequest,
                $"the apply configuration is a {appliedKind}, but the object is a {expected}");
        RejectDirectives(applied, "");
        return StrategicMergePatch.Apply(live, applied, schema, appliedKind);
    }

    private static void RejectDirectives(JsonNode? node, string path)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    var child = path.Length == 0 ? key : $"{path}.{key}";
                    if (StrategicMergePatch.IsDirective(key))
                        throw new PatchException(PatchFailure.BadRequest,
                            $"apply configuration at \"{child}\": patch directives are not allowed in server-side apply", path: child);
                    RejectDirectives(value, child);
                }
                break;
            case JsonArray list:
                foreach (var item in list)
                    RejectDirectives(item, path);
                break;
        }
    }
}
