using Kybernet.Linux.Interop;

namespace Kybernet.Linux.Files;

/// <summary>
/// rename(2) itself: atomically replaces <c>to</c> with <c>from</c>, symlinks included (the link, not its target),
/// which is what swapping a volume's ..data link needs; File.Move inspects what a link points at.
/// </summary>
public static class PathRename
{
    public static void Replace(string from, string to)
    {
        if (Libc.rename(from, to) != 0)
            throw LinuxException.FromLastError($"rename {from} to {to}");
    }
}
