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
}
