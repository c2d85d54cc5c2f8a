using Kybernet.Linux.Interop;

namespace Kybernet.Linux.Tun;

/// <summary>Told by <see cref="FdPoller"/> that its descriptor may have become readable or writable.</summary>
internal interface IPollTarget
{
    /// <summary>Runs on the poller thread: must be quick and never block or run user code.</summary>
    void OnReady(uint events);
}

/// <summary>
/// One epoll thread for many non-blocking descriptors (a reactor, like Kestrel's socket transport):
/// readers and writers try their syscall first and only ask the poller to tell them when it could
/// succeed. The poller never does I/O itself; it hands woken operations to the thread pool, so a slow
/// consumer cannot stall the others. Descriptors are registered edge-triggered, once, for their lifetime.
/// </summary>
public sealed class FdPoller : IDisposable
{
    private const ulong WakeToken = ulong.MaxValue;
    private static readonly Lazy<FdPoller> SharedPoller = new(() => new FdPoller("kybernet-poll"));

    private readonly object _gate = new();
    private readonly Stack<int> _freeSlots = new();
    private readonly Thread _thread;
    private readonly int _epoll;
    private readonly int _wake;
    private IPollTarget?[] _targets = new IPollTarget?[16];
    private int _usedSlots;
    private int _registrations;
    private volatile bool _stopping;
    private int _disposed;

    /// <summary>The process-wide poller every TUN queue uses unless told otherwise. It is never disposed.</summary>
    public static FdPoller Shared => SharedPoller.Value;

    /// <param name="threadName">Names the reactor thread (as seen in /proc/self/task/*/comm, at most 15 bytes there).</param>
    public FdPoller(string threadName = "kybernet-poll")
    {
        _epoll = Libc.epoll_create1(Libc.O_CLOEXEC);
        if (_epoll < 0)
            throw LinuxException.FromLastError($"create epoll for poller {threadName}");
        _wake = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (_wake < 0)
        {
            var error = LinuxException.FromLastError($"create eventfd for poller {threadName}");
            Libc.close(_epoll);
            throw error;
        }
        Add(_wake, WakeToken, $"poller {threadName}");
        ThreadName = threadName;
        _thread = new Thread(Loop, maxStackSize: 256 * 1024) { IsBackground = true, Name = threadName };
        _thread.Start();
    }

    public string ThreadName { get; }

    /// <summary>How many descriptors are registered right now.</summary>
    public int Registrations => Volatile.Read(ref _registrations);

    /// <summary>Starts watching <paramref name="fd"/>; returns the slot to pass to <see cref="Unregister"/>.</summary>
    internal int Register(int fd, IPollTarget target, string describe)
    {
        ObjectDisposedException.ThrowIf(_stopping, this);
        int slot;
        lock (_gate)
        {
            if (!_freeSlots.TryPop(out slot))
            {
                slot = _usedSlots++;
                if (slot == _targets.Length)
                {
                    // Copy, then publish: the poller thread reads the array without taking the lock.
                    var bigger = new IPollTarget?[_targets.Length * 2];
                    _targets.CopyTo(bigger, 0);
                    Volatile.Write(ref _targets, bigger);
                }
            }
            _targets[slot] = target;
        }
        try
        {
            Add(fd, (ulong)slot, describe);
        }
        catch
        {
            Release(slot);
            throw;
        }
        Interlocked.Increment(ref _registrations);
        return slot;
    }

    /// <summary>
    /// Stops watching. An event already fetched for this slot may still be delivered, possibly to the
    /// slot's next owner; that is harmless because every wakeup is only a hint to retry a syscall.
    /// </summary>
    internal unsafe void Unregister(int fd, int slot)
    {
        if (!_stopping)
            Libc.epoll_ctl(_epoll, Libc.EPOLL_CTL_DEL, fd, null); // fails only if fd is already gone, which is fine
        Release(slot);
        Interlocked.Decrement(ref _registrations);
    }

    private void Release(int slot)
    {
        lock (_gate)
        {
            _targets[slot] = null;
            _freeSlots.Push(slot);
        }
    }

    private unsafe void Add(int fd, ulong data, string describe)
    {
        var ev = new Libc.EpollEvent { Events = Libc.EPOLLIN | Libc.EPOLLOUT | Libc.EPOLLET, Data = data };
        if (Libc.epoll_ctl(_epoll, Libc.EPOLL_CTL_ADD, fd, &ev) != 0)
            throw LinuxException.FromLastError($"register {describe} with poller {ThreadName}");
    }

    private unsafe void Loop()
    {
        const int Batch = 64;
        var events = stackalloc Libc.EpollEvent[Batch];
        while (true)
        {
            int n = Libc.epoll_wait(_epoll, events, Batch, -1);
            if (n < 0)
            {
                int errno = Libc.Errno;
                if (errno == Libc.EINTR)
                    continue;
                // A dead reactor would hang every queue silently; fail loudly instead.
                Environment.FailFast($"poller {ThreadName}: epoll_wait: {Errno.Describe(errno)}");
            }
            var targets = Volatile.Read(ref _targets);
            for (int i = 0; i < n; i++)
            {
                ulong data = events[i].Data;
                if (data == WakeToken)
                {
                    if (_stopping)
                        return;
                    continue;
                }
                if (data < (ulong)targets.Length)
                    Volatile.Read(ref targets[(int)data])?.OnReady(events[i].Events);
            }
        }
    }

    /// <summary>Stops the thread. Dispose the descriptors' owners first; the shared poller cannot be disposed.</summary>
    public unsafe void Dispose()
    {
        if (ReferenceEquals(this, SharedPoller.IsValueCreated ? SharedPoller.Value : null))
            throw new InvalidOperationException("the shared poller lives as long as the process");
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _stopping = true;
        ulong one = 1;
        Libc.write(_wake, &one, sizeof(ulong));
        if (Thread.CurrentThread != _thread)
            _thread.Join();
        Libc.close(_wake);
        Libc.close(_epoll);
    }
}
