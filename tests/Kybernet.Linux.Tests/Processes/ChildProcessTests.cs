using Kybernet.Linux.Processes;

namespace Kybernet.Linux.Tests.Processes;

public sealed class ChildProcessTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    [Fact]
    public void Gives_the_childs_output_error_output_and_exit_code()
    {
        var result = ChildProcess.Run(new ChildProcessOptions("/bin/sh", "-c", "cat; echo oops >&2; exit 3") { Stdin = ChildStdio.Input("hello") }, Generous);

        Assert.Equal(new ChildProcessResult(3, "hello", "oops\n", TimedOut: false), result);
        Assert.False(result.Succeeded);
    }

    [Fact]
    public void Large_input_and_both_outputs_flow_at_once_without_filling_a_pipe()
    {
        // 1 MiB in, 1 MiB out on each stream: far beyond a pipe's 64 KiB, so a runner that wrote all input first,
        // or read one stream to its end before the other, would deadlock here.
        var input = new string('x', 1 << 20);
        var script = "tee /dev/stderr";
        var result = ChildProcess.Run(new ChildProcessOptions("/bin/sh", "-c", script) { Stdin = ChildStdio.Input(input) }, Generous);

        Assert.True(result.Succeeded);
        Assert.Equal(input, result.Stdout);
        Assert.Equal(input, result.Stderr);
    }

    [Fact]
    public void A_bare_name_is_found_in_PATH_and_the_environment_is_exactly_the_one_given()
    {
        var result = ChildProcess.Run(new ChildProcessOptions("env") { Environment = new Dictionary<string, string> { ["ONLY"] = "this" } }, Generous);

        Assert.Equal("ONLY=this\n", result.Stdout);
    }

    [Fact]
    public void By_default_the_child_gets_this_processs_environment_and_no_input()
    {
        var result = ChildProcess.Run(new ChildProcessOptions("/bin/sh", "-c", "cat; echo \"$HOME\""), Generous);

        Assert.Equal(Environment.GetEnvironmentVariable("HOME") + "\n", result.Stdout);
    }

    [Fact]
    public void A_missing_program_is_a_clear_error()
    {
        var byPath = Assert.Throws<LinuxException>(() => ChildProcess.Start(new ChildProcessOptions("/nonexistent/program")));
        Assert.Equal("ENOENT", byPath.ErrorName);
        Assert.StartsWith("start /nonexistent/program: ENOENT", byPath.Message);

        var byName = Assert.Throws<LinuxException>(() => ChildProcess.Start(new ChildProcessOptions("kybernet-no-such-program")));
        Assert.Contains("start kybernet-no-such-program: not found in PATH", byName.Message);
    }

    [Fact]
    public void The_child_starts_with_no_signal_blocked_or_ignored_by_this_runtime()
    {
        // .NET ignores SIGPIPE; a child that inherited that would not end quietly when its reader goes away. A shell
        // runs background commands (`./test &`) with SIGINT and SIGQUIT ignored: the children get them back too.
        var status = ChildProcess.Run(new ChildProcessOptions("/bin/cat", "/proc/self/status"), Generous).Stdout;

        Assert.Equal(0ul, Mask(status, "SigBlk"));
        Assert.Equal(0ul, Mask(status, "SigIgn") & (1ul << (13 - 1)));
        Assert.Equal(0ul, Mask(status, "SigIgn") & (1ul << (2 - 1) | 1ul << (3 - 1)));
    }

    [Fact]
    public void A_child_that_overruns_its_time_is_killed_and_reaped()
    {
        using var child = ChildProcess.Start(new ChildProcessOptions("/bin/sleep", "600") { Grouping = ChildGrouping.OwnProcessGroup });

        var result = child.Wait(TimeSpan.FromMilliseconds(200));

        Assert.True(result.TimedOut);
        Assert.Equal(128 + Signals.SIGKILL, result.ExitCode);
        Assert.False(Directory.Exists($"/proc/{child.Pid}"), "reaped: no zombie left");
        Assert.Same(result, child.Wait(Generous));
    }

    [Fact]
    public void An_overrun_kills_what_the_child_started_too()
    {
        var marker = Marker();
        using var child = ChildProcess.Start(new ChildProcessOptions("/bin/sh", "-c", $"sleep {marker} & sleep {marker}") { Grouping = ChildGrouping.OwnProcessGroup });

        Assert.True(child.Wait(TimeSpan.FromMilliseconds(300)).TimedOut);

        // The background sleep got the SIGKILL too: it ends (a SIGKILL takes effect when the process next runs).
        foreach (var pid in ProcFs.Find(argv => argv.Contains(marker)))
        {
            using var sleeper = ProcessHandle.TryOpen(pid);
            Assert.True(sleeper is null || sleeper.WaitForExit(Generous), $"sleep {marker} (pid {pid}) outlived the kill");
        }
    }

    [Fact]
    public void A_child_that_closes_its_output_but_never_exits_is_killed_at_the_deadline()
    {
        using var child = ChildProcess.Start(new ChildProcessOptions("/bin/sh", "-c", "exec >&- 2>&-; exec sleep 600") { Grouping = ChildGrouping.OwnProcessGroup });

        var result = child.Wait(TimeSpan.FromMilliseconds(300));

        Assert.True(result.TimedOut);
        Assert.Equal(128 + Signals.SIGKILL, result.ExitCode);
    }

    [Fact]
    public void A_grandchild_holding_the_output_open_does_not_hold_up_the_wait()
    {
        var marker = Marker();
        using var child = ChildProcess.Start(new ChildProcessOptions("/bin/sh", "-c", $"sleep {marker} & echo started") { Grouping = ChildGrouping.OwnProcessGroup });
        try
        {
            var result = child.Wait(Timeout.InfiniteTimeSpan);

            Assert.Equal((0, "started\n", false), (result.ExitCode, result.Stdout, result.TimedOut));
        }
        finally
        {
            Signals.Send(-child.Pid, Signals.SIGKILL); // the sleep still leads nothing but is in the child's group
        }
    }

    [Fact]
    public void Disposing_a_child_nobody_waited_for_kills_and_reaps_it()
    {
        var child = ChildProcess.Start(new ChildProcessOptions("/bin/sleep", "600"));
        int pid = child.Pid;

        child.Dispose();

        Assert.False(Directory.Exists($"/proc/{pid}"));
    }

    [Fact]
    public void A_daemon_gets_its_own_session_and_appends_both_outputs_to_its_log()
    {
        var log = Path.Combine(Directory.CreateTempSubdirectory("kyt-log-").FullName, "daemon.log");
        try
        {
            File.WriteAllText(log, "earlier\n");
            var options = new ChildProcessOptions("/bin/sh", "-c", "cat /proc/$$/stat; echo to-stderr >&2")
            {
                Stdout = ChildStdio.AppendTo(log),
                Stderr = ChildStdio.AppendTo(log),
                Grouping = ChildGrouping.OwnSession,
            };
            using var child = ChildProcess.Start(options);
            var result = child.Wait(Generous);

            Assert.Equal((0, "", ""), (result.ExitCode, result.Stdout, result.Stderr));
            var lines = File.ReadAllLines(log);
            Assert.Equal(["earlier", lines[1], "to-stderr"], lines);
            // stat: pid (comm) state ppid pgrp session: the child leads its own group and session.
            var fields = lines[1][(lines[1].LastIndexOf(')') + 2)..].Split(' ');
            Assert.Equal((child.Pid.ToString(), child.Pid.ToString()), (fields[2], fields[3]));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(log)!, recursive: true);
        }
    }

    [Fact]
    public void A_detached_child_is_reaped_when_it_exits()
    {
        var child = ChildProcess.Start(new ChildProcessOptions("/bin/sleep", "600") { Stdout = ChildStdio.Null, Stderr = ChildStdio.Null });
        child.Detach();
        using var handle = ProcessHandle.TryOpen(child.Pid)!;

        handle.Signal(Signals.SIGKILL);
        Assert.True(handle.WaitForExit(Generous));

        // The reaper runs on its own thread: wait (bounded) for the zombie to go.
        var deadline = DateTime.UtcNow + Generous;
        while (Directory.Exists($"/proc/{child.Pid}") && DateTime.UtcNow < deadline)
            Thread.Sleep(10);
        Assert.False(Directory.Exists($"/proc/{child.Pid}"), "reaped in the background");
    }

    [Fact]
    public void A_child_with_pipes_cannot_be_detached()
    {
        using var child = ChildProcess.Start(new ChildProcessOptions("/bin/true"));
        Assert.Throws<InvalidOperationException>(child.Detach);
    }

    [Fact]
    public void Streams_that_make_no_sense_are_refused()
    {
        Assert.Throws<ArgumentException>(() => ChildProcess.Start(new ChildProcessOptions("/bin/true") { Stdin = ChildStdio.Capture }));
        Assert.Throws<ArgumentException>(() => ChildProcess.Start(new ChildProcessOptions("/bin/true") { Stdout = ChildStdio.Input("x") }));
    }

    private static string Marker() => $"3{Random.Shared.Next(100000, 999999)}"; // a sleep length no other process has

    private static ulong Mask(string status, string field) =>
        Convert.ToUInt64(status.Split('\n').Single(l => l.StartsWith(field + ":", StringComparison.Ordinal)).Split('\t')[1], 16);
}
