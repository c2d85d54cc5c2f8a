using Kybernet.Linux.Interop;

namespace Kybernet.Linux.Processes;

/// <summary>Sends a signal to a process by pid. Callers check first that the pid is still theirs.</summary>
public static class Signals
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    /// <summary>True if it was delivered; false if the process no longer exists (ESRCH).</summary>
    public static bool Send(int pid, int signal)
    {
        if (Libc.kill(pid, signal) == 0)
            return true;
        int errno = Libc.Errno;
        if (errno == Libc.ESRCH)
            return false;
        throw new LinuxException($"kill({pid}, {signal})", errno);
    }
}
