using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kybernet.Cni.Protocol;

/// <summary>
/// Typed reads of a config's JSON fields. A field of the wrong type is an "invalid network config"
/// error (code 7) that names the field by its path, e.g. "ipam.ranges[0][0].subnet".
/// </summary>
public static class JsonConfig
{
    public static string? String(JsonObject obj, string field, string path = "")
    {
        if (!obj.TryGetPropertyValue(field, out var node) || node is null)
            return null;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
            return v.GetValue<string>();
        throw CniException.InvalidConfig(path + field, "must be a string");
    }

    public static string RequiredString(JsonObject obj, string field, string path = "") =>
        String(obj, field, path) is { Length: > 0 } s ? s : throw CniException.InvalidConfig(path + field, "is required");

    public static bool Bool(JsonObject obj, string field, bool fallback = false, string path = "")
    {
        if (!obj.TryGetPropertyValue(field, out var node) || node is null)
            return fallback;
        if (node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
            return v.GetValue<bool>();
        throw CniException.InvalidConfig(path + field, "must be true or false");
    }

    public static int? Int(JsonObject obj, string field, int min, int max, string path = "")
    {
        if (!obj.TryGetPropertyValue(field, out var node) || node is null)
            return null;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out int value) && value >= min && value <= max)
            return value;
        throw CniException.InvalidConfig(path + field, $"must be a whole number from {min} to {max}");
    }

    public static JsonObject? Object(JsonObject obj, string field, string path = "")
    {
        if (!obj.TryGetPropertyValue(field, out var node) || node is null)
            return null;
        return node as JsonObject ?? throw CniException.InvalidConfig(path + field, "must be an object");
    }

    public static JsonArray? Array(JsonObject obj, string field, string path = "")
    {
        if (!obj.TryGetPropertyValue(field, out var node) || node is null)
            return null;
        return node as JsonArray ?? throw CniException.InvalidConfig(path + field, "must be a list");
    }

    /// <summary>Parses stdin; anything but a JSON object is a decode failure (code 6).</summary>
    public static JsonObject Parse(string text)
    {
        try
        {
            return JsonNode.Parse(text) as JsonObject
                ?? throw new CniException(CniErrorCode.DecodeFailure, "network config must be a JSON object");
        }
        catch (JsonException e)
        {
            throw new CniException(CniErrorCode.DecodeFailure, $"cannot decode network config: {e.Message}");
        }
    }
}
