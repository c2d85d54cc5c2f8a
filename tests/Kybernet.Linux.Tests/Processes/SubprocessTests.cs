using System.Text;
using Kybernet.Linux.Processes;

namespace Kybernet.Linux.Tests.Processes;

public sealed class SubprocessTests
{
    private static readonly Dictionary<string, string> Environment = new() { ["PATH"] = "/usr/bin:/bin" };

    [Fact]
    public void Gives_the_childs_output_and_exit_code()
    {
        var child = Subprocess.Start("/bin/sh", ["-c", "cat; exit 3"], Environment, Encoding.UTF8.GetBytes("hello"));
        Assert.Equal((3, "hello"), child.Wait(TimeSpan.FromSeconds(30)));
        Assert.False(child.TimedOut);
    }

    [Fact]
    public void A_child_that_overruns_its_time_is_killed_and_reaped()
    {
        var child = Subprocess.Start("/bin/sleep", ["30"], Environment, [], ownProcessGroup: true);

        var (exitCode, _) = child.Wait(TimeSpan.FromMilliseconds(200));

        Assert.True(child.TimedOut);
        Assert.Equal(128 + Signals.SIGKILL, exitCode);
        Assert.False(Directory.Exists($"/proc/{child.Pid}"), "reaped: no zombie left");
    }

    [Fact]
    public void An_overrun_kills_what_the_child_started_too()
    {
        var marker = $"3{Random.Shared.Next(100000, 999999)}"; // a sleep length no other process has
        var child = Subprocess.Start("/bin/sh", ["-c", $"sleep {marker} & sleep {marker}"], Environment, [], ownProcessGroup: true);

        child.Wait(TimeSpan.FromMilliseconds(300));

        Assert.True(child.TimedOut);
        Assert.Empty(SleepersWith(marker));
    }

    [Fact]
    public void A_child_that_closes_its_output_but_never_exits_is_killed_at_the_deadline()
    {
        var child = Subprocess.Start("/bin/sh", ["-c", "exec >&-; exec sleep 30"], Environment, [], ownProcessGroup: true);

        var (exitCode, _) = child.Wait(TimeSpan.FromMilliseconds(300));

        Assert.True(child.TimedOut);
        Assert.Equal(128 + Signals.SIGKILL, exitCode);
    }

    private static List<int> SleepersWith(string marker) =>
        Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0)
            .Where(pid =>
            {
                try { return File.ReadAllText($"/proc/{pid}/cmdline").Contains(marker) && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z"); }
                catch (IOException) { return false; }
            })
            .ToList();
}
