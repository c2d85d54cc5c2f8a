namespace Kybernet.Kubelet.Logs;

/// <summary>
/// What a log request asks (upstream's PodLogOptions, as the kubelet's containerLogs endpoint takes it):
/// follow, the last <see cref="TailLines"/> lines, lines since a time, each with its timestamp, at most
/// <see cref="LimitBytes"/> bytes.
/// </summary>
public sealed record ContainerLogOptions
{
    public bool Follow { get; init; }
    public long? TailLines { get; init; }
    public DateTimeOffset? Since { get; init; }
    public bool Timestamps { get; init; }
    public long? LimitBytes { get; init; }

    /// <summary>
    /// Reads the query's follow, tailLines, sinceSeconds, sinceTime, timestamps and limitBytes; a value that is not a number,
    /// or out of range, is an <see cref="ArgumentException"/> naming it (the caller answers 400).
    /// </summary>
    public static ContainerLogOptions FromQuery(Func<string, string?> query, DateTimeOffset now)
    {
        long? Number(string name, long min)
        {
            if (query(name) is not { Length: > 0 } text)
                return null;
            if (!long.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var n) || n < min)
                throw new ArgumentException($"{name}: Invalid value: \"{text}\": must be {(min == 0 ? "greater than or equal to 0" : "greater than 0")}");
            return n;
        }
        bool Flag(string name) => query(name) is "true" or "1";
        DateTimeOffset? since = Number("sinceSeconds", 1) is { } seconds ? now.AddSeconds(-seconds) : null;
        if (query("sinceTime") is { Length: > 0 } sinceTime)
        {
            if (since is not null)
                throw new ArgumentException("at most one of sinceTime or sinceSeconds may be specified");
            since = DateTimeOffset.TryParse(sinceTime, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var t)
                ? t : throw new ArgumentException($"sinceTime: Invalid value: \"{sinceTime}\": not an RFC 3339 time");
        }
        return new ContainerLogOptions
        {
            Follow = Flag("follow"),
            TailLines = Number("tailLines", 0),
            Since = since,
            Timestamps = Flag("timestamps"),
            LimitBytes = Number("limitBytes", 1),
        };
    }
}
