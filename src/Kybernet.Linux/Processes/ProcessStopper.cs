using Kybernet.Linux.Interop;

namespace Kybernet.Linux.Processes;

/// <summary>
/// Stops processes that are known by pid and recognised by their command line (a daemon a previous command
/// started, say): SIGTERM, a bounded wait on its pidfd, then SIGKILL. Only a process that is alive and whose
/// command line is ours at the moment it is signalled is touched, and the signal goes through a pidfd, so a
/// recycled pid is never signalled.
/// </summary>
public static class ProcessStopper
{
    /// <summary>
    /// Stops each process in turn, waiting for one to exit before signalling the next (members of a cluster
    /// leave it one by one). <paramref name="kill"/> sends SIGKILL at once, as a crash would. Throws a
    /// <see cref="LinuxException"/> (ETIMEDOUT) naming a process still running <paramref name="grace"/> after SIGKILL.
    /// </summary>
    public static void StopInTurn(IEnumerable<int> pids, Func<string[], bool> isOurs, TimeSpan grace, bool kill = false)
    {
        foreach (var pid in pids.Distinct())
        {
            using var process = ProcessHandle.OpenIfOurs(pid, isOurs);
            if (process is null)
                continue;
            process.Signal(kill ? Signals.SIGKILL : Signals.SIGTERM);
            if (process.WaitForExit(grace))
                continue;
            process.Signal(Signals.SIGKILL);
            if (!process.WaitForExit(grace))
                throw new LinuxException($"stop process {pid} ({string.Join(' ', process.CommandLine ?? [])}): still running {grace.TotalSeconds:0.#} s after SIGKILL", Libc.ETIMEDOUT);
        }
    }
}
