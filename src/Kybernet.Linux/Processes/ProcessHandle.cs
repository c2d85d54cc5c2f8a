using Kybernet.Linux.Interop;

namespace Kybernet.Linux.Processes;

/// <summary>
/// One process held by a pidfd. Unlike a pid, a pidfd never comes to mean another process: a signal sent or
/// a wait made through it reaches this process or nothing. Waiting is a poll on the pidfd, which becomes
/// readable when the process exits (as a zombie, or reaped), so nothing sleeps in a loop.
/// </summary>
public sealed unsafe class ProcessHandle : IDisposable
{
    private int _fd;

    private ProcessHandle(int pid, int fd)
    {
        Pid = pid;
        _fd = fd;
    }

    public int Pid { get; }

    /// <summary>The command line read when the handle was opened by <see cref="OpenIfOurs"/>; null otherwise.</summary>
    public string[]? CommandLine { get; private set; }

    internal int Fd => _fd >= 0 ? _fd : throw new ObjectDisposedException($"process {Pid}");

    /// <summary>A handle on <paramref name="pid"/>, or null if there is no such process.</summary>
    public static ProcessHandle? TryOpen(int pid)
    {
        if (pid <= 0)
            return null;
        int fd = Libc.pidfd_open(pid, 0);
        if (fd >= 0)
            return new ProcessHandle(pid, fd);
        return Libc.Errno == Libc.ESRCH ? null : throw LinuxException.FromLastError($"open process {pid} (pidfd_open)");
    }

    /// <summary>A handle on a child we just started and have not reaped, so its pid is still its own.</summary>
    internal static ProcessHandle ForChild(int pid, string describe) =>
        TryOpen(pid) ?? throw new LinuxException($"open {describe} (pidfd_open)", Libc.ESRCH);

    /// <summary>
    /// A handle on <paramref name="pid"/> if it is alive (not a zombie) and its command line satisfies
    /// <paramref name="isOurs"/>; otherwise null. Free of pid-reuse races: the pidfd is opened first, then the
    /// command line read from /proc, then the pidfd asked whether its process still runs. If it does, the pid
    /// could not have been reused in between, so what was read is that process's command line.
    /// </summary>
    public static ProcessHandle? OpenIfOurs(int pid, Func<string[], bool> isOurs)
    {
        if (TryOpen(pid) is not { } handle)
            return null;
        var argv = ProcFs.IsAlive(pid) ? ProcFs.CommandLine(pid) : null;
        if (argv is { Length: > 0 } && isOurs(argv) && !handle.HasExited)
        {
            handle.CommandLine = argv;
            return handle;
        }
        handle.Dispose();
        return null;
    }

    /// <summary>True once the process has exited; a zombie (exited, not yet reaped by its parent) counts as exited.</summary>
    public bool HasExited => WaitForExit(TimeSpan.Zero);

    /// <summary>Waits until the process exits, at most <paramref name="timeout"/> (<see cref="Timeout.InfiniteTimeSpan"/>: no bound). True if it did.</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        var deadline = Deadline.After(timeout);
        var poll = new Libc.PollFd { Fd = Fd, Events = Libc.POLLIN };
        while (true)
        {
            int ready = Libc.poll(&poll, 1, deadline.MillisecondsLeft);
            if (ready > 0)
                return true;
            if (ready == 0)
                return false;
            if (Libc.Errno != Libc.EINTR)
                throw LinuxException.FromLastError($"wait for process {Pid} (poll pidfd)");
        }
    }

    /// <summary>Sends <paramref name="signal"/> to this process. False if it has exited and been reaped already.</summary>
    public bool Signal(int signal)
    {
        if (Libc.pidfd_send_signal(Fd, signal, null, 0) == 0)
            return true;
        int errno = Libc.Errno;
        return errno == Libc.ESRCH ? false : throw new LinuxException($"send signal {signal} to process {Pid}", errno);
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
            Libc.close(fd);
    }
}
