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

        Assert.Equal(128 + Signals.SIGTERM, first.Wait(Generous).ExitCode);
        Assert.Equal(128 + Signals.SIGTERM, second.Wait(Generous).ExitCode);
    }

    [Fact]
    public void A_process_that_ignores_SIGTERM_gets_SIGKILL_after_the_grace()
    {
        var marker = Marker();
        var dir = Directory.CreateTempSubdirectory("kyt-stop-");
        try
        {
            var ready = Path.Combine(dir.FullName, "ready");
            Tool.Run("mkfifo", ready);
            // An ignored signal stays ignored across exec: this sleep does not die of SIGTERM. The FIFO says the trap is set.
            using var stubborn = Sleeper(marker, $"trap '' TERM; echo > {ready}; exec sleep MARKER");
            File.ReadAllText(ready);

            ProcessStopper.StopInTurn([stubborn.Pid], argv => argv.Any(a => a.Contains(marker)), TimeSpan.FromMilliseconds(200));

            Assert.Equal(128 + Signals.SIGKILL, stubborn.Wait(Generous).ExitCode);
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

        Assert.Equal(128 + Signals.SIGKILL, child.Wait(Generous).ExitCode);
    }

    [Fact]
    public void A_process_whose_command_line_is_not_ours_is_left_alone()
    {
        using var child = Sleeper(Marker());

        ProcessStopper.StopInTurn([child.Pid], argv => argv.Contains("not this one"), Generous);

        Assert.True(ProcFs.IsAlive(child.Pid));
    }
}
