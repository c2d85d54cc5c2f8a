using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Admission;

/// <summary>The two moves every defaulter makes: fill a field the client left out, and reach into an object that may not exist yet.</summary>
public static class Defaults
{
    /// <summary>Sets <paramref name="field"/> only when the client left it out (a value it sent, even an empty one, stays).</summary>
    public static void Set(JsonObject obj, string field, Func<JsonNode> value)
    {
        if (obj[field] is null)
            obj[field] = value();
    }

    /// <summary>The object at <paramref name="field"/>, made empty if missing.</summary>
    public static JsonObject Object(JsonObject parent, string field)
    {
        if (parent[field] is JsonObject o)
            return o;
        o = new JsonObject();
        parent[field] = o;
        return o;
    }
}
