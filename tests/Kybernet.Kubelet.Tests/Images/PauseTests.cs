using Kybernet.Linux.Processes;

namespace Kybernet.Kubelet.Tests.Images;

/// <summary>The pause program of the multi-call binary, run as a real process (the NativeAOT build).</summary>
public sealed class PauseTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    [Fact]
    public void Exits_zero_on_SIGTERM_and_warns_when_not_pid_1()
    {
        using var pause = ChildProcess.Start(new ChildProcessOptions(TestBinaries.Native, "pause"));
        WaitForHandlers(pause.Pid);

        Assert.True(Signals.Send(pause.Pid, Signals.SIGTERM));
        var result = pause.Wait(Bound);

        Assert.False(result.TimedOut);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Warning: pause should be the first process", result.Stderr);
        Assert.Contains("Shutting down, got signal: Terminated", result.Stderr);
    }

    [Fact]
    public void Exits_zero_on_SIGINT()
    {
        using var pause = ChildProcess.Start(new ChildProcessOptions(TestBinaries.Native, "pause"));
        WaitForHandlers(pause.Pid);

        Assert.True(Signals.Send(pause.Pid, 2));
        var result = pause.Wait(Bound);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Shutting down, got signal: Interrupt", result.Stderr);
    }

    [Fact]
    public void As_pid_1_of_a_pid_namespace_reaps_the_orphans_reparented_to_it()
    {
        // A shell, pid 1 of a new pid namespace, leaves an orphan (a subshell's background sleep, reparented to pid 1)
        // and execs pause in its place: the orphan dies while pause holds pid 1, and pause must reap it.
        var script = $"(/bin/busybox sleep 1 &); exec {TestBinaries.Native} pause";
        using var unshare = ChildProcess.Start(new ChildProcessOptions("unshare", "--pid", "--fork", "--mount-proc", "/bin/busybox", "sh", "-c", script));
        var pausePid = Poll(() => ChildrenOf(unshare.Pid).SingleOrDefault(pid => IsPause(pid)), "pause to start as pid 1");
        WaitForHandlers(pausePid);
        var orphan = Poll(() => ChildrenOf(pausePid).FirstOrDefault(), "the orphaned sleep to be reparented to pause");

        // Gone altogether, not left a zombie: only a waitpid by its parent removes it.
        Poll(() => Directory.Exists($"/proc/{orphan}") ? 0 : 1, $"orphan {orphan} to be reaped");
        Assert.DoesNotContain("Warning", ReadStderrLater(unshare, pausePid));
    }

    /// <summary>Stops pause with SIGTERM and returns its stderr; unshare exits with pause's own status.</summary>
    private static string ReadStderrLater(ChildProcess unshare, int pausePid)
    {
        Assert.True(Signals.Send(pausePid, Signals.SIGTERM));
        var result = unshare.Wait(Bound);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Shutting down, got signal: Terminated", result.Stderr);
        return result.Stderr;
    }

    private static bool IsPause(int pid) => ProcFs.CommandLine(pid) is { } argv && argv.Contains("pause") && StatusField(pid, "NSpid")?.EndsWith("\t1") == true;

    /// <summary>Until pause has its handlers, SIGTERM would kill it with the default action: wait for SigCgt to show them.</summary>
    private static void WaitForHandlers(int pid)
    {
        const ulong sigterm = 1UL << (Signals.SIGTERM - 1);
        Poll(() => StatusField(pid, "SigCgt") is { } caught && (Convert.ToUInt64(caught, 16) & sigterm) != 0 ? 1 : 0, "pause to install its handlers");
    }

    private static IReadOnlyList<int> ChildrenOf(int parent) =>
        ProcFs.Pids().Where(pid => StatusField(pid, "PPid") == parent.ToString()).ToList();

    private static string? StatusField(int pid, string field)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal));
            return line?[(field.Length + 1)..].Trim();
        }
        catch (IOException)
        {
            return null; // exited meanwhile
        }
    }

    private static int Poll(Func<int> value, string what)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (DateTime.UtcNow < deadline)
        {
            if (value() is var found and not 0)
                return found;
            Thread.Sleep(20);
        }
        throw new TimeoutException($"gave up waiting for {what}");
    }
}
