using System.Runtime.InteropServices;

namespace Kybernet.Linux.Interop;

internal static partial class Libc
{
    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rename(string oldPath, string newPath);
}
