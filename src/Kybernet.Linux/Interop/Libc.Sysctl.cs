namespace Kybernet.Linux.Interop;

internal static partial class Libc
{
    /// <summary>Some sysctls are write-only (0200, e.g. net.ipv4.route.flush), so writes must not ask for read access.</summary>
    public const int O_WRONLY = 1;
}
