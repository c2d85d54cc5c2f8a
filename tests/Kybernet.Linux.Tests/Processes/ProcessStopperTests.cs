using Kybernet.Linux.Processes;
using static Kybernet.Linux.Tests.Processes.ProcFsTests;

namespace Kybernet.Linux.Tests.Processes;

public sealed class ProcessStopperTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    [Fact]
    public void Stops_each_of_our_processes_with_SIGTERM()
    {
        var marker = Marker();
        using var first = Sleeper(marker);
        using var second = Sleeper(marker);

        ProcessStopper.StopInTurn([first.Pid, second.Pid], argv => argv.Contains(marker), Generous);

        Assert.Equal((128 + Signals.SIGTERM, false), Ended(first));
        Assert.Equal((128 + Signals.SIGTERM, false), Ended(second));
    }

    [Fact]
    public void A_process_that_ignores_SIGTERM_gets_SIGKILL_after_the_grace()
    {
        var marker = Marker();
        var dir = Directory.CreateTempSubdirectory("kyt-stop-");
        try
        {
            var ready = Path.Combine(dir.FullName, "ready");
            var never = Path.Combine(dir.FullName, "never");
            Tool.Run("mkfifo", ready, never);
            // A shell that ignores SIGTERM, says so through one FIFO, then blocks opening another that nobody writes.
            using var stubborn = Sleeper(marker, $"trap '' TERM; echo > {ready}; read line < {never} # MARKER");
            File.ReadAllText(ready);

            ProcessStopper.StopInTurn([stubborn.Pid], argv => argv.Any(a => a.Contains(marker)), TimeSpan.FromMilliseconds(200));

            Assert.Equal((128 + Signals.SIGKILL, false), Ended(stubborn));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void With_kill_it_sends_SIGKILL_at_once()
    {
        var marker = Marker();
        using var child = Sleeper(marker);

        ProcessStopper.StopInTurn([child.Pid], argv => argv.Contains(marker), Generous, kill: true);

        Assert.Equal((128 + Signals.SIGKILL, false), Ended(child));
    }

    [Fact]
    public void A_process_whose_command_line_is_not_ours_is_left_alone()
    {
        using var child = Sleeper(Marker());

        ProcessStopper.StopInTurn([child.Pid], argv => argv.Contains("not this one"), Generous);

        Assert.True(ProcFs.IsAlive(child.Pid));
    }

    /// <summary>How the child ended, and whether it had to be killed at the end of a generous wait (it should not).</summary>
    private static (int ExitCode, bool TimedOut) Ended(ChildProcess child)
    {
        var result = child.Wait(Generous);
        return (result.ExitCode, result.TimedOut);
    }
}
