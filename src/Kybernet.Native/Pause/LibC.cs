using System.Runtime.InteropServices;

namespace Kybernet.Native.Pause;

/// <summary>The few libc calls pause makes, bound directly (DirectPInvoke) so no marshalling stub or dlopen runs.</summary>
internal static unsafe partial class LibC
{
    public const int SIGINT = 2;
    public const int SIGCHLD = 17;
    public const int SIGTERM = 15;
    public const int SIG_BLOCK = 0;
    public const int SA_NOCLDSTOP = 1;
    public const int SA_RESTART = 0x10000000;
    public const int WNOHANG = 1;

    /// <summary>glibc's sigset_t: 1024 bits.</summary>
    public const int SigSetSize = 128;

    /// <summary>glibc's struct sigaction on Linux (x86-64 and arm64): handler, mask, flags, restorer.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SigAction
    {
        public nint Handler;
        public fixed byte Mask[SigSetSize];
        public int Flags;
        public nint Restorer;
    }

    [LibraryImport("libc")]
    public static partial int getpid();

    [LibraryImport("libc")]
    public static partial nint write(int fd, byte* buffer, nuint count);

    [LibraryImport("libc")]
    public static partial int sigaction(int signal, SigAction* action, SigAction* previous);

    [LibraryImport("libc")]
    public static partial int sigemptyset(byte* set);

    [LibraryImport("libc")]
    public static partial int sigaddset(byte* set, int signal);

    [LibraryImport("libc")]
    public static partial int pthread_sigmask(int how, byte* set, byte* previous);

    [LibraryImport("libc")]
    public static partial int sigsuspend(byte* mask);

    [LibraryImport("libc")]
    public static partial int waitpid(int pid, int* status, int options);

    [LibraryImport("libc")]
    public static partial void _exit(int status);
}
