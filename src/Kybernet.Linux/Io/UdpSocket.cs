using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Kybernet.Linux.Interop;
using Kybernet.Linux.Namespaces;
using Microsoft.Win32.SafeHandles;

namespace Kybernet.Linux.Io;

/// <summary>
/// An IPv4 UDP socket for a userspace data path: batches of datagrams go out with one sendmmsg, each message
/// optionally a UDP GSO train (UDP_SEGMENT: the kernel cuts it into equal datagrams), and come in with one
/// recvmmsg, with UDP_GRO letting the kernel hand over several datagrams of one flow as one buffer plus their
/// size. The descriptor blocks on send (so a full socket buffer slows the sender instead of dropping) and
/// receives with MSG_DONTWAIT; <see cref="WaitReadable"/> blocks until there is something to receive.
/// Created inside a namespace, it belongs there for its whole life.
/// </summary>
public sealed unsafe class UdpSocket : IDisposable
{
    private readonly SafeFileHandle _fd;

    private UdpSocket(SafeFileHandle fd, IPEndPoint local, bool gro, string describe)
    {
        _fd = fd;
        LocalEndPoint = local;
        GroEnabled = gro;
        Description = describe;
    }

    /// <summary>The bound address and port (the kernel's choice when port 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Whether the kernel accepted UDP_GRO, so <see cref="UdpReceiveBatch.SegmentSize"/> may be below a message's length.</summary>
    public bool GroEnabled { get; }

    /// <summary>"udp socket 192.168.200.11:8285 in netns x", as errors name it.</summary>
    public string Description { get; }

    /// <summary>
    /// Opens a socket in <paramref name="ns"/> bound to <paramref name="local"/>, asks for UDP_GRO (when
    /// <paramref name="gro"/>) and for send and receive buffers of <paramref name="bufferBytes"/> (forced past
    /// net.core.[rw]mem_max where the process may).
    /// </summary>
    public static UdpSocket Open(NetworkNamespace ns, IPEndPoint local, bool gro = true, int bufferBytes = 4 << 20)
    {
        if (local.AddressFamily != AddressFamily.InterNetwork)
            throw new ArgumentException($"udp socket: {local} is not IPv4", nameof(local));
        var netns = ns.Describe();
        int fd = ns.OpenSocket(Libc.AF_INET, Libc.SOCK_DGRAM, Libc.IPPROTO_UDP);
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            var addr = SockAddr(local);
            if (Libc.bind(fd, &addr, sizeof(Libc.SockAddrIn)) != 0)
                throw LinuxException.FromLastError($"bind udp socket {local} in {netns}");
            var bound = default(Libc.SockAddrIn);
            uint length = (uint)sizeof(Libc.SockAddrIn);
            if (Libc.getsockname(fd, &bound, &length) != 0)
                throw LinuxException.FromLastError($"read address of udp socket {local} in {netns}");
            var actual = new IPEndPoint(new IPAddress(bound.Address), BinaryPrimitives.ReverseEndianness(bound.Port));
            SetBuffer(fd, Libc.SO_SNDBUFFORCE, Libc.SO_SNDBUF, bufferBytes);
            SetBuffer(fd, Libc.SO_RCVBUFFORCE, Libc.SO_RCVBUF, bufferBytes);
            int one = 1;
            bool groOn = gro && Libc.setsockopt(fd, Libc.SOL_UDP, Libc.UDP_GRO, &one, sizeof(int)) == 0;
            return new UdpSocket(handle, actual, groOn, $"udp socket {actual} in {netns}");
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static void SetBuffer(int fd, int forced, int plain, int bytes)
    {
        // The FORCE options need CAP_NET_ADMIN; without it the plain ones are capped at the sysctl maximum.
        if (Libc.setsockopt(fd, Libc.SOL_SOCKET, forced, &bytes, sizeof(int)) != 0)
            Libc.setsockopt(fd, Libc.SOL_SOCKET, plain, &bytes, sizeof(int));
    }

    internal static Libc.SockAddrIn SockAddr(IPEndPoint endPoint)
    {
        Span<byte> bytes = stackalloc byte[4];
        endPoint.Address.TryWriteBytes(bytes, out _);
        return SockAddr(BinaryPrimitives.ReadUInt32BigEndian(bytes), (ushort)endPoint.Port);
    }

    /// <summary>A sockaddr_in from a host-order address and port.</summary>
    internal static Libc.SockAddrIn SockAddr(uint address, ushort port) => new()
    {
        Family = Libc.AF_INET,
        Port = BinaryPrimitives.ReverseEndianness(port),
        Address = BinaryPrimitives.ReverseEndianness(address),
    };

    /// <summary>Blocks until a datagram (or an error) is waiting, or <paramref name="stop"/> is set (then false).</summary>
    public bool WaitReadable(StopSignal stop) => stop.WaitReadable(_fd, Description);

    /// <summary>
    /// Sends every message of <paramref name="batch"/> (sendmmsg, repeated until all went). A message the kernel
    /// refuses (unreachable, no buffer space, bad size) is skipped and counted; the others still go. The batch
    /// is left as it was; clear it to reuse it.
    /// </summary>
    public UdpSendResult Send(UdpSendBatch batch)
    {
        int sent = 0, failed = 0, lastError = 0;
        bool added = false;
        try
        {
            _fd.DangerousAddRef(ref added);
            int fd = (int)_fd.DangerousGetHandle();
            int i = 0;
            while (i < batch.Count)
            {
                int n = Libc.sendmmsg(fd, batch.Messages + i, (uint)(batch.Count - i), 0);
                if (n < 0)
                {
                    int errno = Libc.Errno;
                    if (errno == Libc.EINTR)
                        continue;
                    lastError = errno; // message i failed: drop it, as a wire would, and go on
                    failed++;
                    i++;
                    continue;
                }
                sent += n;
                i += n;
            }
        }
        finally
        {
            if (added)
                _fd.DangerousRelease();
        }
        return new UdpSendResult(sent, failed, lastError);
    }

    /// <summary>
    /// Receives what is waiting, up to the batch's capacity, without blocking (recvmmsg with MSG_DONTWAIT);
    /// returns how many messages arrived, 0 if none. Errors queued on the socket by ICMP for earlier sends are
    /// consumed and skipped.
    /// </summary>
    public int Receive(UdpReceiveBatch batch)
    {
        bool added = false;
        try
        {
            _fd.DangerousAddRef(ref added);
            int fd = (int)_fd.DangerousGetHandle();
            while (true)
            {
                batch.Prepare();
                int n = Libc.recvmmsg(fd, batch.Messages, (uint)batch.Capacity, Libc.MSG_DONTWAIT, null);
                if (n >= 0)
                {
                    batch.Complete(n);
                    return n;
                }
                int errno = Libc.Errno;
                if (errno == Libc.EAGAIN)
                {
                    batch.Complete(0);
                    return 0;
                }
                if (errno is Libc.EINTR or ECONNREFUSED or EHOSTUNREACH or ENETUNREACH)
                    continue;
                throw new LinuxException($"receive from {Description}", errno);
            }
        }
        finally
        {
            if (added)
                _fd.DangerousRelease();
        }
    }

    private const int ENETUNREACH = 101, ECONNREFUSED = 111, EHOSTUNREACH = 113;

    public void Dispose() => _fd.Dispose();
}

/// <summary>What one <see cref="UdpSocket.Send"/> did: messages sent, messages refused, and the last refusal's errno.</summary>
public readonly record struct UdpSendResult(int Sent, int Failed, int LastError);
