using System.Text.Json.Nodes;
using Kybernet.ApiServer.Http;

namespace Kybernet.ApiServer.Tests.Registry;

/// <summary>Small helpers for the pure strategy tests: objects from JSON text, and checks of causes.</summary>
internal static class StrategyAssert
{
    public static JsonObject Obj(string json) => (JsonObject)JsonNode.Parse(json)!;

    /// <summary>The causes include one with this reason on this field.</summary>
    public static void HasCause(IReadOnlyList<StatusCause> causes, string reason, string field) =>
        Assert.True(causes.Any(c => c.Reason == reason && c.Field == field),
            $"expected {reason} on {field}; got: {string.Join("; ", causes.Select(c => $"{c.Reason} {c.Field}: {c.Message}"))}");

    public static void NoCauses(IReadOnlyList<StatusCause> causes) =>
        Assert.True(causes.Count == 0, $"expected no causes; got: {string.Join("; ", causes.Select(c => $"{c.Reason} {c.Field}: {c.Message}"))}");

    public static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue(out string? s) ? s : null;
}
