using Kybernet.Linux.Processes;

namespace Kybernet.Linux.Tests.Processes;

public sealed class ProcFsTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    [Fact]
    public void A_running_process_is_alive_with_its_command_line_and_is_found_by_it()
    {
        var marker = Marker();
        using var child = Sleeper(marker);

        Assert.True(ProcFs.IsAlive(child.Pid));
        Assert.Equal(["/bin/sleep", marker], ProcFs.CommandLine(child.Pid)!);
        Assert.Equal([child.Pid], ProcFs.Find(argv => argv.Contains(marker)));
    }

    [Fact]
    public void A_new_childs_command_line_is_waited_for_through_the_end_of_its_exec()
    {
        for (int i = 0; i < 20; i++) // right after posix_spawn /proc often reads empty: each round must still see it
        {
            var marker = Marker();
            using var child = ChildProcess.Start(new ChildProcessOptions("/bin/sleep", marker));
            Assert.Equal(["/bin/sleep", marker], child.WaitForCommandLine()!);
        }
        using var exited = ChildProcess.Start(new ChildProcessOptions("/bin/true"));
        using (var handle = ProcessHandle.TryOpen(exited.Pid)!)
            Assert.True(handle.WaitForExit(Generous));
        Assert.Null(exited.WaitForCommandLine());
    }

    [Fact]
    public void A_zombie_is_not_alive_and_not_found()
    {
        var marker = Marker();
        using var child = ChildProcess.Start(new ChildProcessOptions("/bin/sh", "-c", $"exit 0 # {marker}"));
        using (var handle = ProcessHandle.TryOpen(child.Pid)!)
            Assert.True(handle.WaitForExit(Generous));

        Assert.True(Directory.Exists($"/proc/{child.Pid}"), "exited, not reaped yet: a zombie");
        Assert.False(ProcFs.IsAlive(child.Pid));
        Assert.Empty(ProcFs.Find(argv => argv.Any(a => a.Contains(marker))));
        Assert.Equal(0, child.Wait(Generous).ExitCode);
        Assert.False(ProcFs.IsAlive(child.Pid));
        Assert.Null(ProcFs.CommandLine(child.Pid));
    }

    [Fact]
    public void Processes_are_found_by_the_network_namespace_they_run_in()
    {
        using var ns = new TestNamespace();
        using var other = new TestNamespace();
        using var inside = ChildProcess.Start(new ChildProcessOptions("/bin/sleep", Marker()), inside: ns);
        inside.WaitForCommandLine();
        using var outside = Sleeper(Marker());

        Assert.Equal([inside.Pid], ProcFs.InNetworkNamespaces([ns.Name]));
        Assert.Equal([inside.Pid], ProcFs.InNetworkNamespaces([ns.Name, other.Name]));
        Assert.Empty(ProcFs.InNetworkNamespaces([other.Name]));
        Assert.Equal(ns.Namespace.Run(() => new FileInfo("/proc/thread-self/ns/net").LinkTarget), ProcFs.NetworkNamespaceOf(inside.Pid));
    }

    [Fact]
    public void A_handle_opens_only_a_live_process_whose_command_line_is_ours()
    {
        var marker = Marker();
        using var child = Sleeper(marker);

        using (var ours = ProcessHandle.OpenIfOurs(child.Pid, argv => argv.Contains(marker)))
            Assert.Equal(["/bin/sleep", marker], ours?.CommandLine!);
        Assert.Null(ProcessHandle.OpenIfOurs(child.Pid, argv => argv.Contains("something else")));

        child.Dispose(); // killed and reaped: the pid is no process (or another one) now
        Assert.Null(ProcessHandle.OpenIfOurs(child.Pid, argv => argv.Contains(marker)));
    }

    /// <summary>A child whose command line /proc shows already (see <see cref="ChildProcess.WaitForCommandLine"/>).</summary>
    internal static ChildProcess Sleeper(string marker, string? script = null)
    {
        var child = ChildProcess.Start(script is null
            ? new ChildProcessOptions("/bin/sleep", marker)
            : new ChildProcessOptions("/bin/sh", "-c", script.Replace("MARKER", marker)));
        child.WaitForCommandLine();
        return child;
    }

    internal static string Marker() => $"3{Random.Shared.Next(100000, 999999)}"; // a sleep length no other process has
}
