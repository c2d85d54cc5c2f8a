using Kybernet.Linux.Interop;
using Microsoft.Win32.SafeHandles;

namespace Kybernet.Linux.Io;

/// <summary>
/// Tells threads blocked in a data path's wait (<see cref="Tun.TunQueue.WaitReadable"/>,
/// <see cref="UdpSocket.WaitReadable"/>) to stop: an eventfd that every wait polls next to its descriptor.
/// Once set it stays set, so every current and later wait returns false at once.
/// </summary>
public sealed unsafe class StopSignal : IDisposable
{
    private readonly SafeFileHandle _fd;
    private volatile bool _set;

    public StopSignal()
    {
        int fd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (fd < 0)
            throw LinuxException.FromLastError("create eventfd for a stop signal");
        _fd = new SafeFileHandle(fd, ownsHandle: true);
    }

    public bool IsSet => _set;

    public void Set()
    {
        _set = true;
        bool added = false;
        try
        {
            _fd.DangerousAddRef(ref added);
            ulong one = 1;
            Libc.write((int)_fd.DangerousGetHandle(), &one, sizeof(ulong));
        }
        finally
        {
            if (added)
                _fd.DangerousRelease();
        }
    }

    /// <summary>
    /// Blocks until <paramref name="fd"/> is readable (or has an error to report) or this signal is set. Returns
    /// false when set. <paramref name="describe"/> names the descriptor in errors.
    /// </summary>
    internal bool WaitReadable(SafeFileHandle fd, string describe)
    {
        bool addedFd = false, addedStop = false;
        try
        {
            fd.DangerousAddRef(ref addedFd);
            _fd.DangerousAddRef(ref addedStop);
            var fds = stackalloc Libc.PollFd[2];
            fds[0] = new Libc.PollFd { Fd = (int)fd.DangerousGetHandle(), Events = Libc.POLLIN };
            fds[1] = new Libc.PollFd { Fd = (int)_fd.DangerousGetHandle(), Events = Libc.POLLIN };
            while (true)
            {
                if (_set)
                    return false;
                int n = Libc.poll(fds, 2, -1);
                if (n < 0)
                {
                    int errno = Libc.Errno;
                    if (errno == Libc.EINTR)
                        continue;
                    throw new LinuxException($"wait for {describe}", errno);
                }
                if (fds[1].ReturnedEvents != 0 || _set)
                    return false;
                if (fds[0].ReturnedEvents != 0)
                    return true;
            }
        }
        finally
        {
            if (addedStop)
                _fd.DangerousRelease();
            if (addedFd)
                fd.DangerousRelease();
        }
    }

    public void Dispose() => _fd.Dispose();
}
