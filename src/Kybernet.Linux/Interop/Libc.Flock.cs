using System.Runtime.InteropServices;

namespace Kybernet.Linux.Interop;

/// <summary>flock(2): whole-file advisory locks, the kind Go's go-filemutex (and so the reference CNI plugins) take.</summary>
internal static partial class Libc
{
    public const int LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int flock(int fd, int operation);

    /// <summary>struct stat is 144 bytes on x86-64; st_dev and st_ino are its first two 8-byte fields.</summary>
    public const int StatSize = 256;

    [LibraryImport(Lib, SetLastError = true)]
    public static unsafe partial int fstat(int fd, byte* stat);

    [LibraryImport(Lib, EntryPoint = "stat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static unsafe partial int stat_path(string path, byte* stat);
}
