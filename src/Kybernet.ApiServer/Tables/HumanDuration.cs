namespace Kybernet.ApiServer.Tables;

/// <summary>Ages as kubectl shows them: 45s, 3m20s, 17m, 5h3m, 22h, 3d4h, 40d, 3y45d.</summary>
public static class HumanDuration
{
    public static string Since(string? timestamp)
    {
        if (timestamp is null || !DateTime.TryParse(timestamp, null, System.Globalization.DateTimeStyles.AdjustToUniversal, out var then))
            return "<unknown>";
        return Format(DateTime.UtcNow - then);
    }

    public static string Format(TimeSpan d)
    {
        if (d < TimeSpan.Zero) return "<invalid>";
        long s = (long)d.TotalSeconds;
        if (s < 60 * 2) return $"{s}s";
        long m = s / 60;
        if (m < 10) return s % 60 == 0 ? $"{m}m" : $"{m}m{s % 60}s";
        if (m < 60 * 3) return $"{m}m";
        long h = m / 60;
        if (h < 8) return m % 60 == 0 ? $"{h}h" : $"{h}h{m % 60}m";
        if (h < 48) return $"{h}h";
        if (h < 24 * 8) return h % 24 == 0 ? $"{h / 24}d" : $"{h / 24}d{h % 24}h";
        if (h < 24 * 365 * 2) return $"{h / 24}d";
        if (h < 24 * 365 * 8) return (h / 24) % 365 == 0 ? $"{h / 24 / 365}y" : $"{h / 24 / 365}y{(h / 24) % 365}d";
        return $"{h / 24 / 365}y";
    }
}
