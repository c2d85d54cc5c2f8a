using System.Text.Json.Nodes;

namespace Kybernet.Api.Patching;

/// <summary>
/// Strategic merge patch (<c>application/strategic-merge-patch+json</c>), as Kubernetes applies it
/// to built-in types: a JSON merge patch in which some lists merge (by a key, or as a set) instead
/// of being replaced, steered by directives:
/// <list type="bullet">
/// <item><c>null</c> deletes a field;</item>
/// <item><c>"$patch": "replace"</c> in a map replaces the map; as a list item it replaces the list
/// with the patch's other items; <c>"$patch": "delete"</c> in a map empties it (as Kubernetes does:
/// the field stays, as <c>{}</c>), in a list item removes the item with that merge key;
/// <c>"$patch": "merge"</c> is the default and changes nothing;</item>
/// <item><c>$setElementOrder/&lt;field&gt;</c> gives the order of the merged list (by merge key, or by
/// value for sets); items the server has and the order omits keep their place among them;</item>
/// <item><c>$retainKeys</c> removes from the original map every field it does not list;</item>
/// <item><c>$deleteFromPrimitiveList/&lt;field&gt;</c> removes these values from a primitive list.</item>
/// </list>
/// </summary>
/// <remarks>
/// Errors: malformed directives are <see cref="PatchFailure.BadRequest"/>; a patch that does not
/// fit the object (a list item without its merge key, a field missing from <c>$retainKeys</c>)
/// is <see cref="PatchFailure.Unprocessable"/>. Mismatched types (a map patching a list, ...)
/// are not errors: the patch's value wins.
/// </remarks>
public static class StrategicMergePatch
{
    internal const string PatchDirective = "$patch";
    internal const string RetainKeysDirective = "$retainKeys";
    internal const string SetElementOrderPrefix = "$setElementOrder/";
    internal const string DeleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList/";

    /// <summary>
    /// Applies <paramref name="patch"/> to <paramref name="original"/> and returns the new object;
    /// neither input is modified. <paramref name="kind"/> picks the schema's rules; when null it is
    /// read from the patch's, then the original's, <c>kind</c> field.
    /// </summary>
    public static JsonNode? Apply(JsonNode? original, JsonObject patch, PatchSchema schema, string? kind = null)
    {
        kind ??= KindOf(patch) ?? KindOf(original);
        return new Merger(schema, kind).MergeObject(original as JsonObject, patch, "");
    }

    internal static string? KindOf(JsonNode? node) =>
        node is JsonObject obj && obj["kind"] is JsonValue value && value.TryGetValue<string>(out var kind) ? kind : null;

    internal static bool IsDirective(string key) =>
        key == PatchDirective || key == RetainKeysDirective
        || key.StartsWith(SetElementOrderPrefix, StringComparison.Ordinal)
        || key.StartsWith(DeleteFromPrimitiveListPrefix, StringComparison.Ordinal);

    private sealed class Merger(PatchSchema schema, string? kind)
    {
        public JsonObject MergeObject(JsonObject? original, JsonObject patch, string path)
        {
            switch (PatchDirectiveOf(patch, path))
            {
                case "replace":
                    return MergeObject(null, Without(patch, PatchDirective), path);
                case "delete":
                    return new JsonObject();
            }

            var retained = RetainedKeys(patch, path);
            var result = new JsonObject();

            // Fields of the original, in their order, merged with the patch where it names them.
            if (original is not null)
            {
                foreach (var (key, value) in original)
                {
                    if (retained is not null && !retained.Contains(key))
                        continue;
                    if (patch.TryGetPropertyValue(key, out var patchValue))
                    {
                        if (patchValue is not null)
                            result[key] = MergeValue(value, patchValue, patch, key, path);
                    }
                    else if (value is JsonArray list && HasListDirectives(patch, key))
                    {
                        result[key] = MergeList(list, null, patch, key, Child(path, key));
                    }
                    else
                    {
                        result[key] = value?.DeepClone();
                    }
                }
            }

            // Fields only the patch has, in its order.
            foreach (var (key, patchValue) in patch)
            {
                if (IsDirective(key) || patchValue is null || result.ContainsKey(key))
                    continue;
                if (original is not null && original.ContainsKey(key) && (retained is null || retained.Contains(key)))
                    continue;
                result[key] = MergeValue(null, patchValue, patch, key, path);
            }
            return result;
        }

        private JsonNode MergeValue(JsonNode? original, JsonNode patchValue, JsonObject patch, string key, string path) =>
            patchValue switch
            {
                JsonObject map => MergeObject(original as JsonObject, map, Child(path, key)),
                JsonArray list => MergeList(original as JsonArray, list, patch, key, Child(path, key)),
                _ => patchValue.DeepClone(),
            };

        /// <summary>Merges the list field <paramref name="key"/>; <paramref name="patchList"/> is null when only directives name it.</summary>
        private JsonArray MergeList(JsonArray? original, JsonArray? patchList, JsonObject patch, string key, string path)
        {
            var strategy = schema.ListFor(kind, path);
            var originalItems = original is null ? [] : original.Select(i => i?.DeepClone()).ToList();

            if (patch.TryGetPropertyValue(DeleteFromPrimitiveListPrefix + key, out var deletions))
            {
                if (deletions is not JsonArray deleted)
                    throw BadRequest(path, $"{DeleteFromPrimitiveListPrefix}{key} must be a list");
                originalItems.RemoveAll(item => deleted.Any(d => JsonEquality.Equal(d, item)));
            }

            List<JsonNode?> merged;
            var reorder = strategy.Merge != ListMerge.Replace;
            if (patchList is null)
                merged = originalItems;
            else if (ReplacesList(patchList))
            {
                merged = Items(patchList, path).ToList();
                reorder = false;
            }
            else
            {
                merged = strategy.Merge switch
                {
                    ListMerge.MergeByKey => MergeByKey(originalItems, patchList, strategy.MergeKey!, path),
                    ListMerge.Set => MergeSet(originalItems, patchList, path),
                    _ => Items(patchList, path).ToList(),
                };
            }

            if (reorder && patch.TryGetPropertyValue(SetElementOrderPrefix + key, out var order))
            {
                if (order is not JsonArray orderList)
                    throw BadRequest(path, $"{SetElementOrderPrefix}{key} must be a list");
                merged = Reorder(merged, orderList, originalItems, strategy, path);
            }
            return new JsonArray(merged.ToArray());
        }

        private List<JsonNode?> MergeByKey(List<JsonNode?> originalItems, JsonArray patchList, string mergeKey, string path)
        {
            var result = new List<JsonNode?>(originalItems);
            foreach (var item in patchList)
            {
                if (item is not JsonObject patchItem)
                    throw Unprocessable(path, $"expected a list of objects merged by \"{mergeKey}\", found {Show(item)}");
                var directive = PatchDirectiveOf(patchItem, path);
                if (directive == "merge" && patchItem.Count == 1)
                    continue;
                if (!patchItem.TryGetPropertyValue(mergeKey, out var keyValue) || keyValue is null)
                    throw Unprocessable(path, $"list item {Show(patchItem)} does not contain the merge key \"{mergeKey}\"");

                var index = result.FindIndex(o => o is JsonObject obj && obj.TryGetPropertyValue(mergeKey, out var k)
                    && JsonEquality.Equal(k, keyValue));
                if (directive == "delete")
                {
                    result.RemoveAll(o => o is JsonObject obj && obj.TryGetPropertyValue(mergeKey, out var k)
                        && JsonEquality.Equal(k, keyValue));
                }
                else if (index >= 0)
                {
                    result[index] = MergeObject((JsonObject)result[index]!, patchItem, path);
                }
                else
                {
                    result.Add(MergeObject(null, patchItem, path));
                }
            }
            return result;
        }

        private static List<JsonNode?> MergeSet(List<JsonNode?> originalItems, JsonArray patchList, string path)
        {
            var result = new List<JsonNode?>(originalItems);
            foreach (var item in patchList)
            {
                if (item is JsonObject or JsonArray)
                    throw BadRequest(path, $"a list merged as a set holds only primitive values, found {Show(item)}");
                if (!result.Any(r => JsonEquality.Equal(r, item)))
                    result.Add(item?.DeepClone());
            }
            return result;
        }

        /// <summary>
        /// Puts the items the order names in that order, and slots the others (items only the server
        /// has) back in between: one of them goes before a named item unless both were in the
        /// original list with the named item first.
        /// </summary>
        private static List<JsonNode?> Reorder(List<JsonNode?> merged, JsonArray order, List<JsonNode?> originalItems,
            ListStrategy strategy, string path)
        {
            JsonNode? KeyOf(JsonNode? item) => strategy.Merge == ListMerge.MergeByKey ? (item as JsonObject)?[strategy.MergeKey!] : item;
            int OriginalIndex(JsonNode? item) => originalItems.FindIndex(o => JsonEquality.Equal(KeyOf(o), KeyOf(item)));

            var remaining = new List<JsonNode?>(merged);
            var named = new List<JsonNode?>();
            foreach (var entry in order)
            {
                if (strategy.Merge == ListMerge.MergeByKey && (entry is not JsonObject || KeyOf(entry) is null))
                    throw BadRequest(path, $"{SetElementOrderPrefix} entries must be objects with the merge key \"{strategy.MergeKey}\"");
                var at = remaining.FindIndex(item => JsonEquality.Equal(KeyOf(item), KeyOf(entry)));
                if (at < 0)
                    continue;
                named.Add(remaining[at]);
                remaining.RemoveAt(at);
            }

            var result = new List<JsonNode?>(merged.Count);
            int n = 0, r = 0;
            while (n < named.Count || r < remaining.Count)
            {
                if (r >= remaining.Count)
                    result.Add(named[n++]);
                else if (n >= named.Count)
                    result.Add(remaining[r++]);
                else
                {
                    var namedAt = OriginalIndex(named[n]);
                    var remainingAt = OriginalIndex(remaining[r]);
                    var namedFirst = namedAt >= 0 && remainingAt >= 0 && namedAt < remainingAt;
                    result.Add(namedFirst ? named[n++] : remaining[r++]);
                }
            }
            return result;
        }

        /// <summary>A list whose items include <c>{"$patch": "replace"}</c> replaces the original list.</summary>
        private static bool ReplacesList(JsonArray patchList) =>
            patchList.Any(item => item is JsonObject obj && obj.Count == 1 && IsDirectiveValue(obj, "replace"));

        /// <summary>The patch's items, minus bare directive items, with nulls and directives inside maps resolved.</summary>
        private IEnumerable<JsonNode?> Items(JsonArray patchList, string path)
        {
            foreach (var item in patchList)
            {
                if (item is JsonObject obj && obj.Count == 1 && obj.ContainsKey(PatchDirective))
                    continue;
                yield return item is JsonObject map ? MergeObject(null, map, path) : item?.DeepClone();
            }
        }

        private static HashSet<string>? RetainedKeys(JsonObject patch, string path)
        {
            if (!patch.TryGetPropertyValue(RetainKeysDirective, out var node))
                return null;
            if (node is not JsonArray list || list.Any(k => k is not JsonValue v || !v.TryGetValue<string>(out _)))
                throw BadRequest(path, $"{RetainKeysDirective} must be a list of field names");
            var keys = list.Select(k => k!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
            foreach (var (key, value) in patch)
            {
                if (!IsDirective(key) && value is not null && !keys.Contains(key))
                    throw Unprocessable(path, $"field \"{key}\" is in the patch but not in its {RetainKeysDirective} list");
            }
            return keys;
        }

        private static bool HasListDirectives(JsonObject patch, string key) =>
            patch.ContainsKey(SetElementOrderPrefix + key) || patch.ContainsKey(DeleteFromPrimitiveListPrefix + key);

        private static string? PatchDirectiveOf(JsonObject obj, string path)
        {
            if (!obj.TryGetPropertyValue(PatchDirective, out var node))
                return null;
            var directive = node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
            return directive switch
            {
                "replace" or "delete" or "merge" => directive,
                _ => throw BadRequest(path, $"unknown {PatchDirective} directive {Show(node)}: expected replace, delete or merge"),
            };
        }

        private static bool IsDirectiveValue(JsonObject obj, string directive) =>
            obj[PatchDirective] is JsonValue v && v.TryGetValue<string>(out var s) && s == directive;

        private static JsonObject Without(JsonObject obj, string key)
        {
            var copy = new JsonObject();
            foreach (var (k, v) in obj)
            {
                if (k != key)
                    copy[k] = v?.DeepClone();
            }
            return copy;
        }

        private static string Child(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";
    }

    private static PatchException BadRequest(string path, string reason) =>
        new(PatchFailure.BadRequest, $"strategic merge patch at \"{Display(path)}\": {reason}", path: Display(path));

    private static PatchException Unprocessable(string path, string reason) =>
        new(PatchFailure.Unprocessable, $"strategic merge patch at \"{Display(path)}\": {reason}", path: Display(path));

    private static string Display(string path) => path.Length == 0 ? "." : path;

    private static string Show(JsonNode? node)
    {
        var text = node?.ToJsonString() ?? "null";
        return text.Length <= 120 ? text : text[..120] + "...";
    }
}
