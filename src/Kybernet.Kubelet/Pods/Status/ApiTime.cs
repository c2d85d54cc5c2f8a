namespace Kybernet.Kubelet.Pods.Status;

/// <summary>The API stores times to the second (RFC 3339); truncating ours keeps "did it change" stable across a write.</summary>
public static class ApiTime
{
    public static DateTime Of(DateTimeOffset time) =>
        new(time.UtcDateTime.Ticks - time.UtcDateTime.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);

    public static DateTime? Of(DateTimeOffset? time) => time is { } t ? Of(t) : null;
}
