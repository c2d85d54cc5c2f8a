namespace Kybernet.Linux.Processes;

/// <summary>A point in time on the monotonic clock, or never; what poll-based waits count down to.</summary>
internal readonly struct Deadline
{
    private readonly long _at; // Environment.TickCount64 milliseconds; long.MaxValue: never

    private Deadline(long at) => _at = at;

    public static Deadline Never => new(long.MaxValue);

    /// <summary><see cref="Timeout.InfiniteTimeSpan"/> means never.</summary>
    public static Deadline After(TimeSpan timeout)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
            return Never;
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        return new Deadline(Environment.TickCount64 + (long)Math.Ceiling(timeout.TotalMilliseconds));
    }

    public bool IsNever => _at == long.MaxValue;

    /// <summary>What poll's timeout argument wants: -1 for never, else the milliseconds left (0 once passed).</summary>
    public int MillisecondsLeft => IsNever ? -1 : (int)Math.Clamp(_at - Environment.TickCount64, 0, int.MaxValue);
}
