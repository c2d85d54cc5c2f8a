using System.Globalization;

namespace Kybernet.Agnhost;

/// <summary>
/// Durations as Go writes them ("1s", "500ms", "1m30s", "1.5h", "0"): upstream's flags and query parameters
/// (connect --timeout, /exit?timeout=) take this form, so ours do too.
/// </summary>
public static class GoDuration
{
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var s = text.AsSpan();
        bool negative = false;
        if (s.Length > 0 && (s[0] == '-' || s[0] == '+'))
        {
            negative = s[0] == '-';
            s = s[1..];
        }
        if (s.SequenceEqual("0"))
            return true;
        if (s.IsEmpty)
            return false;
        double ticks = 0;
        while (!s.IsEmpty)
        {
            int numberEnd = 0;
            while (numberEnd < s.Length && (char.IsAsciiDigit(s[numberEnd]) || s[numberEnd] == '.'))
                numberEnd++;
            if (numberEnd == 0 || !double.TryParse(s[..numberEnd], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number))
                return false;
            s = s[numberEnd..];
            int unitEnd = 0;
            while (unitEnd < s.Length && !char.IsAsciiDigit(s[unitEnd]) && s[unitEnd] != '.')
                unitEnd++;
            double unitTicks = s[..unitEnd] switch
            {
                "ns" => 0.01,
                "us" or "µs" or "μs" => TimeSpan.TicksPerMicrosecond,
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                "h" => TimeSpan.TicksPerHour,
                _ => -1,
            };
            if (unitTicks < 0)
                return false;
            ticks += number * unitTicks;
            s = s[unitEnd..];
        }
        duration = TimeSpan.FromTicks((long)(negative ? -ticks : ticks));
        return true;
    }

    /// <summary>Go's String() for the values we print ("0s", "1.5s", "250ms", "1m30s"), close enough for logs.</summary>
    public static string Format(TimeSpan d)
    {
        if (d == TimeSpan.Zero)
            return "0s";
        if (d < TimeSpan.FromSeconds(1))
            return $"{d.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms";
        var text = "";
        if (d.TotalHours >= 1)
            text += $"{(int)d.TotalHours}h";
        if (d.TotalMinutes >= 1)
            text += $"{d.Minutes}m";
        return text + $"{(d.Seconds + d.Milliseconds / 1000.0).ToString(CultureInfo.InvariantCulture)}s";
    }
}
