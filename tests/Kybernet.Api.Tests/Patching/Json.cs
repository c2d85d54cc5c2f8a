using System.Text.Json.Nodes;

namespace Kybernet.Api.Tests.Patching;

internal static class Json
{
    public static JsonNode? Parse(string json) => JsonNode.Parse(json);

    public static JsonObject Object(string json) => (JsonObject)JsonNode.Parse(json)!;

    public static JsonArray Array(string json) => (JsonArray)JsonNode.Parse(json)!;

    /// <summary>Structural equality (object member order ignored, array order kept), with both texts on failure.</summary>
    public static void Equal(string expected, JsonNode? actual)
    {
        var want = JsonNode.Parse(expected);
        Assert.True(JsonNode.DeepEquals(want, actual),
            $"expected {want?.ToJsonString() ?? "null"}\n  actual {actual?.ToJsonString() ?? "null"}");
    }
}
