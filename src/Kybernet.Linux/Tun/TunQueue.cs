using System.Runtime.InteropServices;
using Kybernet.Linux.Interop;
using Kybernet.Linux.Io;
using Microsoft.Win32.SafeHandles;

namespace Kybernet.Linux.Tun;

/// <summary>
/// One queue of a TUN device: a non-blocking descriptor that reads and writes whole IP packets (no
/// packet-information header; a <see cref="VirtioNetHeader"/> first if the device has one). Each read returns
/// one packet, so buffers should hold the link's MTU (64 KiB + header with TSO offloads).
/// At most one ReadAsync and one WriteAsync may be pending at a time; use several queues for parallelism.
/// A queue opened without <see cref="TunOptions.AsyncIo"/> is for one dedicated thread: TryRead, WaitReadable
/// and the synchronous Write, with no poller behind it.
/// </summary>
public sealed class TunQueue : IDisposable, IPollTarget
{
    private readonly SafeFileHandle _fd;
    private readonly FdPoller? _poller;
    private readonly int _slot;
    private readonly PollOperation _read;
    private readonly PollOperation _write;
    private int _disposed;

    /// <summary>Takes ownership of <paramref name="fd"/> (opened O_NONBLOCK) and registers it with <paramref name="poller"/>, if any.</summary>
    internal TunQueue(int fd, int index, string describe, FdPoller? poller)
    {
        _fd = new SafeFileHandle(fd, ownsHandle: true);
        Index = index;
        Description = describe;
        _read = new PollOperation(_fd, isWrite: false, $"read from {describe}");
        _write = new PollOperation(_fd, isWrite: true, $"write to {describe}");
        _poller = poller;
        _slot = -1;
        if (poller is null)
            return;
        try
        {
            _slot = poller.Register(fd, this, describe);
        }
        catch
        {
            _fd.Dispose();
            throw;
        }
    }

    /// <summary>The queue's position within its device, from 0.</summary>
    public int Index { get; }

    /// <summary>How errors name this queue: "tun tun0 queue 1 in netns x".</summary>
    public string Description { get; }

    /// <summary>Reads the next packet, waiting for one if none is queued. Returns its length.</summary>
    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _poller is null ? throw NotAsync() : _read.Read(buffer, cancellationToken);

    /// <summary>Hands one IP packet to the kernel, as if it had arrived on the link.</summary>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken = default) =>
        _poller is null ? throw NotAsync() : _write.Write(packet, cancellationToken);

    private InvalidOperationException NotAsync() =>
        new($"{Description} was opened without AsyncIo: use TryRead, WaitReadable and Write");

    /// <summary>Blocks until a packet is queued (true) or <paramref name="stop"/> is set (false). For a dedicated thread.</summary>
    public bool WaitReadable(StopSignal stop) => stop.WaitReadable(_fd, Description);

    /// <summary>Hands one packet to the kernel now. A TUN write never waits: the kernel takes or drops the packet.</summary>
    public void Write(ReadOnlySpan<byte> packet)
    {
        while (true)
        {
            var bytes = MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(packet), packet.Length); // write() only reads it
            nint n = PollOperation.Syscall(_fd, bytes, write: true, out int errno);
            if (n >= 0)
            {
                if (n != packet.Length)
                    throw new IOException($"write to {Description}: the kernel took {n} of {packet.Length} bytes");
                return;
            }
            if (errno != Libc.EINTR)
                throw new LinuxException($"write to {Description}", errno);
        }
    }

    /// <summary>
    /// Hands one packet, gathered from <paramref name="vectors"/> (writev), to the kernel now: with a virtio-net
    /// header, a GSO super-packet can be written from its header and its segments' payloads without copying them.
    /// </summary>
    public unsafe void Write(IoVectors vectors)
    {
        bool added = false;
        try
        {
            _fd.DangerousAddRef(ref added);
            int fd = (int)_fd.DangerousGetHandle();
            while (true)
            {
                nint n = Libc.writev(fd, vectors.Pointer, vectors.Count);
                if (n >= 0)
                {
                    if (n != vectors.TotalLength)
                        throw new IOException($"write to {Description}: the kernel took {n} of {vectors.TotalLength} bytes");
                    return;
                }
                int errno = Libc.Errno;
                if (errno != Libc.EINTR)
                    throw new LinuxException($"write to {Description}", errno);
            }
        }
        finally
        {
            if (added)
                _fd.DangerousRelease();
        }
    }

    /// <summary>Reads one packet if one is queued, without waiting.</summary>
    public bool TryRead(Span<byte> buffer, out int length)
    {
        length = 0;
        while (true)
        {
            nint n = PollOperation.Syscall(_fd, buffer, write: false, out int errno);
            if (n >= 0)
            {
                length = (int)n;
                return true;
            }
            if (errno == Libc.EINTR)
                continue;
            if (errno == Libc.EAGAIN)
                return false;
            throw new LinuxException($"read from {Description}", errno);
        }
    }

    /// <summary>
    /// Drains up to buffers.Length queued packets without waiting: packet i lands in buffers[i] and its length
    /// in lengths[i]. Returns how many were read (0 if none were queued). TUN has no multi-packet read, so this
    /// saves the per-packet await, not syscalls. Do not call while a ReadAsync is pending.
    /// </summary>
    public int TryRead(ReadOnlySpan<Memory<byte>> buffers, Span<int> lengths)
    {
        if (lengths.Length < buffers.Length)
            throw new ArgumentException("need one length slot per buffer", nameof(lengths));
        int count = 0;
        while (count < buffers.Length && TryRead(buffers[count].Span, out lengths[count]))
            count++;
        return count;
    }

    /// <summary>
    /// Detaches this queue from the device (the kernel stops steering packets to it) or re-attaches it,
    /// without closing it. Multi-queue devices only.
    /// </summary>
    public unsafe void SetEnabled(bool enabled)
    {
        var req = new Libc.IfReq { Flags = enabled ? Libc.IFF_ATTACH_QUEUE : Libc.IFF_DETACH_QUEUE };
        int errno = Ioctl(Libc.TUNSETQUEUE, &req);
        if (errno != 0)
            throw new LinuxException($"{(enabled ? "attach" : "detach")} {Description}", errno);
    }

    /// <summary>ioctl on this queue's fd; returns 0 or the errno.</summary>
    internal unsafe int Ioctl(nuint request, void* arg)
    {
        bool added = false;
        try
        {
            _fd.DangerousAddRef(ref added);
            return Libc.ioctl((int)_fd.DangerousGetHandle(), request, arg) == 0 ? 0 : Libc.Errno;
        }
        finally
        {
            if (added)
                _fd.DangerousRelease();
        }
    }

    void IPollTarget.OnReady(uint events)
    {
        const uint Failed = Libc.EPOLLERR | Libc.EPOLLHUP; // wake both sides: the retried syscall reports the error
        if ((events & (Libc.EPOLLIN | Failed)) != 0)
            _read.OnReady();
        if ((events & (Libc.EPOLLOUT | Failed)) != 0)
            _write.OnReady();
    }

    /// <summary>Fails pending operations with ObjectDisposedException, unregisters from the poller and closes the fd.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _read.Abort();
        _write.Abort();
        if (_poller is not null)
        {
            bool added = false;
            _fd.DangerousAddRef(ref added); // keep the number valid until epoll has forgotten it
            try
            {
                _poller.Unregister((int)_fd.DangerousGetHandle(), _slot);
            }
            finally
            {
                if (added)
                    _fd.DangerousRelease();
            }
        }
        _fd.Dispose(); // closes once any syscall still in flight on another thread has returned
    }
}
