using System.Runtime.InteropServices;

namespace Kybernet.Linux.Interop;

/// <summary>kill(2): signals to processes known by pid (the lab's etcd members and agents).</summary>
internal static partial class Libc
{
    public const int ESRCH = 3;

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int kill(int pid, int sig);
}
