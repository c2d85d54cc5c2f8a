using System.Runtime.InteropServices;

namespace Kybernet.Linux.Interop;

/// <summary>Vectored and batched I/O for the data paths (writev, sendmmsg/recvmmsg with control messages, poll), checked against the x86-64/arm64 ABI.</summary>
internal static unsafe partial class Libc
{
    public const int IPPROTO_UDP = 17, SOL_UDP = 17;
    public const int UDP_SEGMENT = 103, UDP_GRO = 104; // <linux/udp.h>
    public const int SO_SNDBUFFORCE = 32;
    public const int MSG_DONTWAIT = 0x40, MSG_TRUNC = 0x20, MSG_CTRUNC = 0x08;
    public const short POLLIN = 0x1, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10, POLLNVAL = 0x20;

    /// <summary>struct iovec.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    /// <summary>struct msghdr (56 bytes on 64-bit).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    /// <summary>struct mmsghdr (64 bytes on 64-bit).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;
    }

    /// <summary>struct cmsghdr; the data follows at offset 16 (CMSG_DATA).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct CMsgHdr
    {
        public nuint Length;
        public int Level;
        public int Type;
    }

    /// <summary>CMSG_SPACE(sizeof(int)): header 16 + data padded to 8.</summary>
    public const int CmsgSpaceInt = 24;
    public const int CmsgHeaderSize = 16;

    /// <summary>struct sockaddr_in; port and address in network byte order.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 16)]
    public struct SockAddrIn
    {
        public ushort Family;
        public ushort Port;
        public uint Address;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short ReturnedEvents;
    }

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint writev(int fd, IoVec* iov, int count);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int sendmmsg(int fd, MMsgHdr* messages, uint count, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int recvmmsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int poll(PollFd* fds, nuint count, int timeout);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int getsockname(int fd, void* addr, uint* addrlen);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int getsockopt(int fd, int level, int name, void* value, uint* len);
}
