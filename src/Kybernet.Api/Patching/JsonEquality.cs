using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kybernet.Api.Patching;

/// <summary>
/// Structural equality of JSON values as RFC 6902 section 4.6 defines it: numbers compare by
/// numeric value, strings by code points, objects ignore member order, arrays compare in order.
/// </summary>
internal static class JsonEquality
{
    public static bool Equal(JsonNode? a, JsonNode? b)
    {
        if (a is null || b is null)
            return a is null && b is null;
        switch (a)
        {
            case JsonObject oa when b is JsonObject ob:
                if (oa.Count != ob.Count)
                    return false;
                foreach (var (name, value) in oa)
                {
                    if (!ob.TryGetPropertyValue(name, out var other) || !Equal(value, other))
                        return false;
                }
                return true;
            case JsonArray aa when b is JsonArray ab:
                if (aa.Count != ab.Count)
                    return false;
                for (var i = 0; i < aa.Count; i++)
                {
                    if (!Equal(aa[i], ab[i]))
                        return false;
                }
                return true;
            case JsonValue va when b is JsonValue vb:
                return ValueEqual(va, vb);
            default:
                return false;
        }
    }

    private static bool ValueEqual(JsonValue a, JsonValue b)
    {
        var ka = a.GetValueKind();
        var kb = b.GetValueKind();
        if (ka != kb)
            return false;
        return ka switch
        {
            JsonValueKind.String => a.GetValue<string>() == b.GetValue<string>(),
            JsonValueKind.Number => NumberEqual(a, b),
            _ => true, // true, false, null: equal kinds are equal values
        };
    }

    private static bool NumberEqual(JsonValue a, JsonValue b)
    {
        var ta = a.ToJsonString();
        var tb = b.ToJsonString();
        if (ta == tb)
            return true;
        const NumberStyles style = NumberStyles.Float;
        if (decimal.TryParse(ta, style, CultureInfo.InvariantCulture, out var da)
            && decimal.TryParse(tb, style, CultureInfo.InvariantCulture, out var db))
            return da == db;
        return double.TryParse(ta, style, CultureInfo.InvariantCulture, out var fa)
            && double.TryParse(tb, style, CultureInfo.InvariantCulture, out var fb)
            && fa == fb;
    }
}
