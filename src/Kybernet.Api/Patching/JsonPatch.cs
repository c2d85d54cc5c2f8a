using System.Text.Json.Nodes;

namespace Kybernet.Api.Patching;

/// <summary>JSON patch, RFC 6902 (<c>application/json-patch+json</c>).</summary>
/// <remarks>
/// Errors follow Kubernetes: an operation that is not a JSON object cannot be decoded
/// (400 BadRequest); anything that goes wrong while applying, including a missing or unknown
/// <c>op</c>, a bad pointer, a missing target and a failed <c>test</c>, is 422 Invalid. More than
/// <see cref="MaxOperations"/> operations is 413 in Kubernetes; here it is a BadRequest.
/// The patch is atomic: the input is never modified, and any failure discards all operations.
/// </remarks>
public static class JsonPatch
{
    /// <summary>The most operations Kubernetes accepts in one JSON patch.</summary>
    public const int MaxOperations = 10_000;

    /// <summary>Applies the operations in order to a copy of <paramref name="target"/> and returns it.</summary>
    /// <exception cref="PatchException">The message names the failing operation's index, op and path.</exception>
    public static JsonNode? Apply(JsonNode? target, JsonArray operations)
    {
        if (operations.Count > MaxOperations)
            throw new PatchException(PatchFailure.BadRequest,
                $"the allowed maximum operations in a JSON patch is {MaxOperations}, got {operations.Count}");
        for (var i = 0; i < operations.Count; i++)
        {
            if (operations[i] is not JsonObject)
                throw new PatchException(PatchFailure.BadRequest,
                    $"json patch operation {i}: an operation must be a JSON object", i);
        }

        var document = target?.DeepClone();
        for (var i = 0; i < operations.Count; i++)
            document = ApplyOperation(document, (JsonObject)operations[i]!, i);
        return document;
    }

    private static JsonNode? ApplyOperation(JsonNode? document, JsonObject operation, int index)
    {
        var op = StringMember(operation, "op");
        var path = StringMember(operation, "path");
        var context = new Context(index, op ?? "?", path ?? "");
        if (op is null)
            throw context.Fail("missing or non-string \"op\"");
        if (path is null)
            throw context.Fail("missing or non-string \"path\"");
        var tokens = JsonPointer.Parse(path, out var pointerError) ?? throw context.Fail($"invalid path: {pointerError}");

        switch (op)
        {
            case "add":
                return Add(document, tokens, Value(operation, context), context);
            case "remove":
                return Remove(document, tokens, context, out _);
            case "replace":
                return Replace(document, tokens, Value(operation, context), context);
            case "move":
                {
                    var fromTokens = From(operation, context);
                    if (!TryResolve(document, fromTokens, out _))
                        throw context.Fail($"\"from\" location \"{StringMember(operation, "from")}\" does not exist");
                    if (JsonPointer.IsProperPrefix(fromTokens, tokens))
                        throw context.Fail("cannot move a value into one of its own children");
                    if (fromTokens.SequenceEqual(tokens))
                        return document;
                    document = Remove(document, fromTokens, context, out var moved);
                    return Add(document, tokens, moved?.DeepClone(), context);
                }
            case "copy":
                {
                    var fromTokens = From(operation, context);
                    if (!TryResolve(document, fromTokens, out var source))
                        throw context.Fail($"\"from\" location \"{StringMember(operation, "from")}\" does not exist");
                    return Add(document, tokens, source?.DeepClone(), context);
                }
            case "test":
                {
                    var expected = Value(operation, context);
                    if (!TryResolve(document, tokens, out var actual))
                        throw new PatchException(PatchFailure.TestFailed,
                            context.Message("test failed: the path does not exist"), index, path);
                    if (!JsonEquality.Equal(actual, expected))
                        throw new PatchException(PatchFailure.TestFailed,
                            context.Message($"test failed: expected {Show(expected)}, found {Show(actual)}"), index, path);
                    return document;
                }
            default:
                throw context.Fail($"unknown operation \"{op}\"");
        }
    }

    private static JsonNode? Add(JsonNode? document, IReadOnlyList<string> tokens, JsonNode? value, Context context)
    {
        if (tokens.Count == 0)
            return value;
        var last = tokens[^1];
        switch (Parent(document, tokens, context))
        {
            case JsonObject parent:
                parent[last] = value;
                break;
            case JsonArray parent when last == "-":
                parent.Add(value);
                break;
            case JsonArray parent:
                if (!JsonPointer.TryParseIndex(last, out var position) || position > parent.Count)
                    throw context.Fail($"array index \"{last}\" is not a valid index or out of range (length {parent.Count})");
                parent.Insert(position, value);
                break;
        }
        return document;
    }

    private static JsonNode? Remove(JsonNode? document, IReadOnlyList<string> tokens, Context context, out JsonNode? removed)
    {
        if (tokens.Count == 0)
            throw context.Fail("cannot remove the whole document");
        var last = tokens[^1];
        switch (Parent(document, tokens, context))
        {
            case JsonObject parent:
                if (!parent.TryGetPropertyValue(last, out removed))
                    throw context.Fail("the path does not exist");
                parent.Remove(last);
                break;
            case JsonArray parent:
                if (!JsonPointer.TryParseIndex(last, out var position) || position >= parent.Count)
                    throw context.Fail($"array index \"{last}\" is not a valid index or out of range (length {parent.Count})");
                removed = parent[position];
                parent.RemoveAt(position);
                break;
            default:
                throw context.Fail("the path does not exist");
        }
        return document;
    }

    private static JsonNode? Replace(JsonNode? document, IReadOnlyList<string> tokens, JsonNode? value, Context context)
    {
        if (tokens.Count == 0)
            return value;
        var last = tokens[^1];
        switch (Parent(document, tokens, context))
        {
            case JsonObject parent:
                if (!parent.ContainsKey(last))
                    throw context.Fail("the path does not exist");
                parent[last] = value;
                break;
            case JsonArray parent:
                if (!JsonPointer.TryParseIndex(last, out var position) || position >= parent.Count)
                    throw context.Fail($"array index \"{last}\" is not a valid index or out of range (length {parent.Count})");
                parent[position] = value;
                break;
        }
        return document;
    }

    /// <summary>The object or array that holds the last token; fails if there is none.</summary>
    private static JsonNode Parent(JsonNode? document, IReadOnlyList<string> tokens, Context context)
    {
        var parentTokens = tokens.Take(tokens.Count - 1).ToList();
        if (!TryResolve(document, parentTokens, out var parent) || parent is null)
            throw context.Fail("the parent of the path does not exist");
        if (parent is not (JsonObject or JsonArray))
            throw context.Fail("the parent of the path is neither an object nor an array");
        return parent;
    }

    private static bool TryResolve(JsonNode? document, IReadOnlyList<string> tokens, out JsonNode? node)
    {
        node = document;
        foreach (var token in tokens)
        {
            switch (node)
            {
                case JsonObject obj when obj.TryGetPropertyValue(token, out var child):
                    node = child;
                    break;
                case JsonArray array when JsonPointer.TryParseIndex(token, out var index) && index < array.Count:
                    node = array[index];
                    break;
                default:
                    node = null;
                    return false;
            }
        }
        return true;
    }

    private static JsonNode? Value(JsonObject operation, Context context)
    {
        if (!operation.TryGetPropertyValue("value", out var value))
            throw context.Fail("missing \"value\"");
        return value?.DeepClone();
    }

    private static IReadOnlyList<string> From(JsonObject operation, Context context)
    {
        var from = StringMember(operation, "from") ?? throw context.Fail("missing or non-string \"from\"");
        return JsonPointer.Parse(from, out var error) ?? throw context.Fail($"invalid \"from\": {error}");
    }

    private static string? StringMember(JsonObject obj, string name) =>
        obj.TryGetPropertyValue(name, out var node) && node is JsonValue value && value.TryGetValue<string>(out var s)
            ? s
            : null;

    private static string Show(JsonNode? node)
    {
        var text = node?.ToJsonString() ?? "null";
        return text.Length <= 200 ? text : text[..200] + "...";
    }

    private readonly record struct Context(int Index, string Op, string Path)
    {
        public string Message(string reason) => $"json patch operation {Index} ({Op} \"{Path}\"): {reason}";

        public PatchException Fail(string reason) =>
            new(PatchFailure.Unprocessable, Message(reason), Index, Path);
    }
}
