namespace Kybernet.Linux.Tests;

/// <summary>
/// Every namespace and link a test makes starts with "kyt" and a per-run tag, so ./test can tell
/// a leak of ours from anything else on the machine.
/// </summary>
public static class TestNames
{
    public const string Prefix = "kyt";
    private static readonly string RunTag = Environment.ProcessId.ToString("x");
    private static int _counter;

    /// <summary>A fresh name such as "kyt1f2a-7" (short enough for an interface name: at most 15 bytes).</summary>
    public static string Unique() => $"{Prefix}{RunTag}-{Interlocked.Increment(ref _counter)}";
}
