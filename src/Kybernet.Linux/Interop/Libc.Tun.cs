using System.Runtime.InteropServices;

namespace Kybernet.Linux.Interop;

/// <summary>The TUN driver's ioctls and flags, checked against &lt;linux/if_tun.h&gt;.</summary>
internal static unsafe partial class Libc
{
    // _IOW('T', nr, int) = 0x40000000 | sizeof(int) << 16 | 'T' << 8 | nr; _IOR uses 0x80000000.
    // The same numbers hold on x86-64 and arm64.
    public const nuint TUNSETIFF = 0x400454ca;     // _IOW('T', 202, int)
    public const nuint TUNSETPERSIST = 0x400454cb; // _IOW('T', 203, int)
    public const nuint TUNGETIFF = 0x800454d2;     // _IOR('T', 210, unsigned int)
    public const nuint TUNSETQUEUE = 0x400454d9;   // _IOW('T', 217, int)
    public const nuint TUNSETOFFLOAD = 0x400454d0; // _IOW('T', 208, unsigned int)
    public const nuint TUNSETVNETHDRSZ = 0x400454d8; // _IOW('T', 216, int)

    public const short IFF_TUN = 0x0001, IFF_MULTI_QUEUE = 0x0100, IFF_ATTACH_QUEUE = 0x0200,
        IFF_DETACH_QUEUE = 0x0400, IFF_PERSIST = 0x0800, IFF_NO_PI = 0x1000, IFF_VNET_HDR = 0x4000;

    public const int IFNAMSIZ = 16;
    public const int EBUSY = 16;

    /// <summary>struct ifreq: a 16-byte name and a 24-byte union of which TUN uses only the flags.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 40)]
    public struct IfReq
    {
        [FieldOffset(0)] public fixed byte Name[IFNAMSIZ];
        [FieldOffset(16)] public short Flags;
    }

    /// <summary>Resolves in the calling thread's network namespace; 0 when there is no such link.</summary>
    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial uint if_nametoindex(string name);
}
