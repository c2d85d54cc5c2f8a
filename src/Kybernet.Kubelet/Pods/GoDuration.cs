using System.Globalization;
using System.Text;

namespace Kybernet.Kubelet.Pods;

/// <summary>Durations written as Go's time.Duration.String() writes them ("10s", "1m20s", "5m0s"), since upstream's messages embed them.</summary>
public static class GoDuration
{
    public static string Format(TimeSpan duration)
    {
        if (duration == TimeSpan.Zero)
            return "0s";
        var text = new StringBuilder();
        if (duration < TimeSpan.Zero)
        {
            text.Append('-');
            duration = duration.Negate();
        }
        if (duration < TimeSpan.FromSeconds(1))
            return text.Append(FormatFraction(duration.TotalMilliseconds)).Append("ms").ToString();
        var hours = (long)duration.TotalHours;
        if (hours > 0)
            text.Append(hours.ToString(CultureInfo.InvariantCulture)).Append('h');
        if (hours > 0 || duration.Minutes > 0)
            text.Append(duration.Minutes.ToString(CultureInfo.InvariantCulture)).Append('m');
        var seconds = duration.Seconds + (duration.Ticks % TimeSpan.TicksPerSecond) / (double)TimeSpan.TicksPerSecond;
        return text.Append(FormatFraction(seconds)).Append('s').ToString();
    }

    private static string FormatFraction(double value) => value.ToString("0.#########", CultureInfo.InvariantCulture);
}
