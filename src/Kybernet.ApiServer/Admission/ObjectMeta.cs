using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Admission;

/// <summary>Small typed reads and writes of an object's metadata, kept in one place.</summary>
public static class ObjectMeta
{
    public static JsonObject Metadata(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject meta)
            return meta;
        meta = new JsonObject();
        obj["metadata"] = meta;
        return meta;
    }

    public static string? Name(JsonObject obj) => Str(obj["metadata"]?["name"]);
    public static string? Namespace(JsonObject obj) => Str(obj["metadata"]?["namespace"]);
    public static string? Uid(JsonObject obj) => Str(obj["metadata"]?["uid"]);
    public static string? ResourceVersion(JsonObject obj) => Str(obj["metadata"]?["resourceVersion"]);

    public static long Revision(JsonObject obj) =>
        long.TryParse(ResourceVersion(obj), out var rv) ? rv : 0;

    public static bool IsDeleting(JsonObject obj) => obj["metadata"]?["deletionTimestamp"] is not null;

    public static IReadOnlyList<string> Finalizers(JsonObject obj) =>
        obj["metadata"]?["finalizers"] is JsonArray a ? a.Select(f => Str(f) ?? "").ToList() : [];

    public static IReadOnlyDictionary<string, string> Labels(JsonObject obj) =>
        obj["metadata"]?["labels"] is JsonObject l ? l.ToDictionary(p => p.Key, p => Str(p.Value) ?? "") : new Dictionary<string, string>();

    /// <summary>RFC 3339 in UTC with second precision, as Kubernetes writes timestamps.</summary>
    public static string Now() => At(DateTime.UtcNow);

    /// <summary>A UTC time as Kubernetes writes timestamps.</summary>
    public static string At(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    /// <summary>A whole number, whether it was parsed from a request or set by the server as an int.</summary>
    public static long? Integer(JsonNode? node) => node is JsonValue v
        ? v.TryGetValue(out long l) ? l : v.TryGetValue(out int i) ? i : null
        : null;
}
