namespace Kybernet.Controllers.NodeLifecycle;

/// <summary>The API's timestamps as UTC whatever kind the client gave them, and upstream's second-precision form.</summary>
internal static class Times
{
    public static DateTime Utc(DateTime t) => t.Kind switch
    {
        DateTimeKind.Utc => t,
        DateTimeKind.Local => t.ToUniversalTime(),
        _ => DateTime.SpecifyKind(t, DateTimeKind.Utc),
    };

    /// <summary>metav1.Time: RFC 3339 to the second.</summary>
    public static string Rfc3339(DateTime t) => Utc(t).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Truncated to the second, as the API stores metav1.Time.</summary>
    public static DateTime Seconds(DateTimeOffset t) => new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
}
