using System.Runtime.InteropServices;

namespace Kybernet.Linux.Interop;

internal static unsafe partial class Libc
{
    [LibraryImport(Lib, SetLastError = true)]
    public static partial int pipe2(int* fds, int flags);

    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_init(void* actions);

    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_destroy(void* actions);

    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_adddup2(void* actions, int fd, int newfd);

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

    public const short POSIX_SPAWN_SETPGROUP = 0x02;

    /// <summary>posix_spawnattr_t is 336 bytes on x86-64 glibc; a little more room is harmless.</summary>
    public const int SpawnAttributesSize = 512;

    /// <summary>posix_spawn_file_actions_t is 80 bytes on x86-64 glibc; a little more room is harmless.</summary>
    public const int SpawnFileActionsSize = 128;
}
