using System.Globalization;
using System.Text.Json;
using k8s;

namespace Kybernet.Controllers.DaemonSets;

/// <summary>An int-or-percent field (maxUnavailable, maxSurge) against a total, as upstream's GetScaledValueFromIntOrPercent.</summary>
public static class ScaledValue
{
    /// <summary>The value: a number as is, "N%" of <paramref name="total"/> rounded up or down; null field: <paramref name="fallback"/>.</summary>
    public static int Of(object? intOrPercent, int total, bool roundUp, int fallback)
    {
        if (intOrPercent is null)
            return fallback;
        // Through its JSON form: the model's int-or-string type serializes as a number or a string.
        using var json = JsonDocument.Parse(KubernetesJson.Serialize(intOrPercent));
        var value = json.RootElement;
        if (value.ValueKind == JsonValueKind.Number)
            return value.GetInt32();
        var text = value.GetString() ?? "";
        if (text.EndsWith('%') && int.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var percent))
        {
            var scaled = total * percent / 100.0;
            return (int)(roundUp ? Math.Ceiling(scaled) : Math.Floor(scaled));
        }
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : fallback;
    }
}
