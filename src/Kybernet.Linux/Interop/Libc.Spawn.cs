using System.Runtime.InteropServices;

namespace Kybernet.Linux.Interop;

/// <summary>
/// posix_spawn and its attributes and file actions, pidfds and waitpid: what <see cref="Processes.ChildProcess"/>
/// needs to start a child without copying this process and to wait for it without polling. Needs glibc 2.36
/// (pidfd_open, pidfd_send_signal; Debian 12) and Linux 5.3.
/// </summary>
internal static unsafe partial class Libc
{
    public const int ECHILD = 10, EPIPE = 32, ETIMEDOUT = 110;

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int pipe2(int* fds, int flags);

    /// <summary>FIONBIO: sets O_NONBLOCK on one pipe end's open file (pipe2's flag would set it on the child's end too).</summary>
    public const nuint FIONBIO = 0x5421;

    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_init(void* actions);

    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_destroy(void* actions);

    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_adddup2(void* actions, int fd, int newfd);

    /// <summary>glibc copies <paramref name="path"/>; it is opened in the child, and a failure is posix_spawn's error.</summary>
    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_addopen(void* actions, int fd, byte* path, int flags, int mode);

    /// <summary>Closes every descriptor from <paramref name="from"/> up in the child (glibc 2.34): nothing leaks in by accident.</summary>
    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_addclosefrom_np(void* actions, int from);

    /// <summary>Returns an errno value (not -1), as the posix_spawn family does.</summary>
    [LibraryImport(Lib)]
    public static partial int posix_spawn(int* pid, byte* path, void* fileActions, void* attributes, byte** argv, byte** envp);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int waitpid(int pid, int* status, int options);

    public const int WNOHANG = 1;

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_init(void* attributes);

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_destroy(void* attributes);

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_setflags(void* attributes, short flags);

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_setpgroup(void* attributes, int pgroup);

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_setsigdefault(void* attributes, void* signals);

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_setsigmask(void* attributes, void* signals);

    [LibraryImport(Lib)]
    public static partial int sigemptyset(void* set);

    [LibraryImport(Lib)]
    public static partial int sigaddset(void* set, int signal);

    public const short POSIX_SPAWN_SETPGROUP = 0x02, POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08, POSIX_SPAWN_SETSID = 0x80;

    public const int SIGINT = 2;
    public const int SIGQUIT = 3;
    public const int SIGPIPE = 13;

    /// <summary>posix_spawnattr_t is 336 bytes on x86-64 glibc; a little more room is harmless.</summary>
    public const int SpawnAttributesSize = 512;

    /// <summary>posix_spawn_file_actions_t is 80 bytes on x86-64 glibc; a little more room is harmless.</summary>
    public const int SpawnFileActionsSize = 128;

    /// <summary>glibc's sigset_t: 1024 bits.</summary>
    public const int SigSetSize = 128;

    public const int O_APPEND = 0x400;

    /// <summary>A descriptor that refers to one process for as long as it is open: signals through it never reach a recycled pid.</summary>
    [LibraryImport(Lib, SetLastError = true)]
    public static partial int pidfd_open(int pid, uint flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int pidfd_send_signal(int pidfd, int signal, void* info, uint flags);
}
