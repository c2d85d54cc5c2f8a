using System.Diagnostics;

namespace Kybernet.Cni.Protocol;

/// <summary>
/// With KYBERNET_CNI_TRACE=1, plugins write a timeline of their steps to stderr ("kybernet-bridge
/// ADD 1.46 ms: veth ready"), for finding what makes a pod's network slow. Off, it costs one branch.
/// </summary>
public static class CniTrace
{
    private static readonly bool Enabled = Environment.GetEnvironmentVariable("KYBERNET_CNI_TRACE") == "1";
    private static long _start = Stopwatch.GetTimestamp();
    private static string _who = "";

    /// <summary>Starts the timeline (at the top of Main, so start-up of the runtime is all that precedes it).</summary>
    public static void Begin(string who)
    {
        _start = Stopwatch.GetTimestamp();
        _who = who;
    }

    public static void Mark(string step)
    {
        if (Enabled)
            Console.Error.WriteLine($"{_who} {Stopwatch.GetElapsedTime(_start).TotalMilliseconds:F2} ms: {step}");
    }
}
