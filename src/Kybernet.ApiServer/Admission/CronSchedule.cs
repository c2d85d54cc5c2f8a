using System.Globalization;

namespace Kybernet.ApiServer.Admission;

/// <summary>
/// The cron schedules CronJobs take (the standard five fields, as upstream's parser reads them):
/// minute, hour, day of month, month (1-12 or JAN-DEC), day of week (0-6 or SUN-SAT); each field a
/// list of "*", "?" (days only), N, N-M, with an optional "/STEP"; or one of the @ descriptors.
/// Checked here; run by the CronJob controller (a later issue).
/// </summary>
public static class CronSchedule
{
    private static readonly string[] Descriptors = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];
    private static readonly string[] Months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    private static readonly string[] Days = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    private sealed record Field(string Name, int Min, int Max, string[]? Names, bool Question);

    private static readonly Field[] Fields =
    [
        new("minute", 0, 59, null, false),
        new("hour", 0, 23, null, false),
        new("day of month", 1, 31, null, true),
        new("month", 1, 12, Months, false),
        new("day of week", 0, 6, Days, true),
    ];

    /// <summary>Null when the schedule is valid; otherwise what is wrong with it.</summary>
    public static string? Problem(string schedule)
    {
        var text = schedule.Trim();
        if (text.Length == 0)
            return "empty spec string";
        if (text.StartsWith('@'))
            return Descriptors.Contains(text, StringComparer.OrdinalIgnoreCase) || text.StartsWith("@every ", StringComparison.Ordinal)
                ? null : $"unrecognized descriptor: {text}";
        var parts = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != Fields.Length)
            return $"expected exactly 5 fields, found {parts.Length}: [{string.Join(' ', parts)}]";
        for (int i = 0; i < parts.Length; i++)
            if (FieldProblem(parts[i], Fields[i]) is { } problem)
                return problem;
        return null;
    }

    private static string? FieldProblem(string text, Field field)
    {
        foreach (var item in text.Split(','))
        {
            var (range, step) = item.Split('/') switch
            {
                [var r] => (r, (string?)null),
                [var r, var s] => (r, s),
                _ => (item, "")
            };
            if (step is not null && (!int.TryParse(step, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0))
                return $"failed to parse int from {step}: invalid step in {field.Name} \"{item}\"";
            if (range is "*" || (range is "?" && field.Question))
                continue;
            var bounds = range.Split('-');
            if (bounds.Length > 2)
                return $"too many hyphens: {range}";
            var values = new List<int>();
            foreach (var bound in bounds)
            {
                if (Value(bound, field) is not { } value)
                    return $"failed to parse int from {bound}: invalid {field.Name}";
                if (value < field.Min)
                    return $"beginning of range ({value}) below minimum ({field.Min}): {range}";
                if (value > field.Max)
                    return $"end of range ({value}) above maximum ({field.Max}): {range}";
                values.Add(value);
            }
            if (values.Count == 2 && values[0] > values[1])
                return $"beginning of range ({values[0]}) beyond end of range ({values[1]}): {range}";
        }
        return null;
    }

    private static int? Value(string text, Field field)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            return n;
        var index = field.Names is null ? -1 : Array.FindIndex(field.Names, x => string.Equals(x, text, StringComparison.OrdinalIgnoreCase));
        return index < 0 ? null : index + field.Min;
    }
}
