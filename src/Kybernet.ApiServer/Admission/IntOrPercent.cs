using System.Globalization;
using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Admission;

/// <summary>
/// Upstream's IntOrString as counts use it (maxSurge, minAvailable...): a whole number, or a
/// percentage "N%" of some total, scaled up or down.
/// </summary>
public static class IntOrPercent
{
    /// <summary>The value as a count of <paramref name="total"/>; null when it is neither a number nor "N%".</summary>
    public static long? Scaled(JsonNode? value, long total, bool roundUp)
    {
        if (ObjectMeta.Integer(value) is { } count)
            return count;
        if (Percent(value) is not { } percent)
            return null;
        var exact = (decimal)percent * total / 100;
        return (long)(roundUp ? Math.Ceiling(exact) : Math.Floor(exact));
    }

    /// <summary>N of "N%"; null when the value is not such a string.</summary>
    public static long? Percent(JsonNode? value) =>
        ObjectMeta.Str(value) is { } text && text.EndsWith('%')
        && long.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;

    /// <summary>Upstream's checks of such a field: a number at least 0, or a percentage of at most 100 (or any, when not <paramref name="atMost100"/>).</summary>
    public static void Validate(JsonNode? value, string path, List<Http.StatusCause> causes, bool atMost100 = true)
    {
        if (value is null)
            return;
        if (ObjectMeta.Integer(value) is { } count)
        {
            if (count < 0)
                causes.Add(Causes.Invalid(path, count.ToString(CultureInfo.InvariantCulture), "must be greater than or equal to 0"));
            return;
        }
        var text = ObjectMeta.Str(value) ?? value.ToJsonString();
        if (Percent(value) is not { } percent)
            causes.Add(Causes.Invalid(path, text, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"));
        else if (atMost100 && percent > 100)
            causes.Add(Causes.Invalid(path, text, "must not be greater than 100%"));
    }
}
