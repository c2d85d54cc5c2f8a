using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;
using Kybernet.Linux.Interop;
using Microsoft.Win32.SafeHandles;

namespace Kybernet.Linux.Tun;

/// <summary>
/// One direction (read or write) of a non-blocking descriptor, awaitable without allocating: the same
/// instance is the IValueTaskSource of every wait, so at most one operation per direction is in flight.
///
/// A wait is "armed" while the poller may hand it to the thread pool. The readiness counter closes the
/// race between a syscall returning EAGAIN and the wait being armed: whoever arms re-reads the counter
/// afterwards and, if it moved, takes the wait back and retries (edge-triggered epoll would not repeat it).
/// </summary>
internal sealed unsafe class PollOperation : IValueTaskSource<int>, IValueTaskSource, IThreadPoolWorkItem
{
    private static readonly Action<object?, CancellationToken> OnCanceled = static (state, token) =>
    {
        var op = (PollOperation)state!;
        if (op._cancellation == token) // a late callback from an earlier wait must not touch a newer one
            op.Wake();
    };

    private readonly SafeFileHandle _fd;
    private readonly bool _isWrite;
    private readonly string _operation;
    private ManualResetValueTaskSourceCore<int> _core; // mutable struct: never make this field readonly
    private Memory<byte> _buffer;
    private CancellationToken _cancellation;
    private CancellationTokenRegistration _registration;
    private int _readiness;
    private int _armed;
    private int _busy;
    private volatile bool _disposed;

    /// <param name="operation">How errors name this, e.g. "read from tun tun0 queue 0 in netns x".</param>
    public PollOperation(SafeFileHandle fd, bool isWrite, string operation)
    {
        _fd = fd;
        _isWrite = isWrite;
        _operation = operation;
        // Completions happen on a pool thread already; running the continuation there saves a second hop.
        _core.RunContinuationsAsynchronously = false;
    }

    /// <summary>Reads into <paramref name="buffer"/>; completes with the packet's length.</summary>
    public ValueTask<int> Read(Memory<byte> buffer, CancellationToken cancellation) =>
        Begin(buffer, cancellation, out int count, out var error) ? new ValueTask<int>(this, _core.Version)
        : error is null ? new ValueTask<int>(count)
        : ValueTask.FromException<int>(error);

    /// <summary>Writes all of <paramref name="buffer"/>.</summary>
    public ValueTask Write(ReadOnlyMemory<byte> buffer, CancellationToken cancellation) =>
        Begin(MemoryMarshal.AsMemory(buffer), cancellation, out _, out var error) ? new ValueTask(this, _core.Version)
        : error is null ? ValueTask.CompletedTask
        : ValueTask.FromException(error);

    /// <summary>Tries the syscall; returns true if a wait is now pending, false if it finished at once.</summary>
    private bool Begin(Memory<byte> buffer, CancellationToken cancellation, out int count, out Exception? error)
    {
        if (!_isWrite && buffer.IsEmpty)
            throw new ArgumentException("a packet needs a non-empty buffer", nameof(buffer));
        if (Interlocked.Exchange(ref _busy, 1) != 0)
            throw new InvalidOperationException($"{_operation}: another operation in this direction is still pending");
        count = 0;
        error = _disposed ? new ObjectDisposedException(_operation)
            : cancellation.IsCancellationRequested ? new OperationCanceledException(cancellation)
            : null;

        // Fast path: the syscall usually succeeds at once and nothing is armed or allocated.
        int readiness = Volatile.Read(ref _readiness);
        if (error is not null || TryComplete(buffer.Span, out count, out error))
        {
            Volatile.Write(ref _busy, 0);
            return false;
        }

        _buffer = buffer;
        _cancellation = cancellation;
        _core.Reset();
        if (cancellation.CanBeCanceled)
            _registration = cancellation.UnsafeRegister(OnCanceled, this);
        if (!Arm(readiness))
            Execute();
        return true;
    }

    /// <summary>Called by the poller on every readiness edge in this direction.</summary>
    public void OnReady()
    {
        Interlocked.Increment(ref _readiness);
        Wake();
    }

    /// <summary>Fails the pending wait, if any, with ObjectDisposedException; later Starts fail too.</summary>
    public void Abort()
    {
        _disposed = true;
        Wake();
    }

    /// <summary>The one raw syscall, with the handle kept alive across it so a concurrent Dispose cannot recycle the fd.</summary>
    public static nint Syscall(SafeFileHandle fd, Span<byte> buffer, bool write, out int errno)
    {
        bool added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            int raw = (int)fd.DangerousGetHandle();
            nint n;
            fixed (byte* p = buffer)
                n = write ? Libc.write(raw, p, (nuint)buffer.Length) : Libc.read(raw, p, (nuint)buffer.Length);
            errno = n < 0 ? Libc.Errno : 0;
            return n;
        }
        finally
        {
            if (added)
                fd.DangerousRelease();
        }
    }

    /// <summary>One attempt. False means EAGAIN (wait for readiness); true means done, with a count or an error.</summary>
    private bool TryComplete(Span<byte> buffer, out int count, out Exception? error)
    {
        count = 0;
        error = null;
        while (true)
        {
            nint n;
            int errno;
            try
            {
                n = Syscall(_fd, buffer, _isWrite, out errno);
            }
            catch (ObjectDisposedException e)
            {
                error = e;
                return true;
            }
            if (n >= 0)
            {
                count = (int)n;
                if (_isWrite && count != buffer.Length)
                    error = new IOException($"{_operation}: the kernel took {count} of {buffer.Length} bytes");
                return true;
            }
            if (errno == Libc.EINTR)
                continue;
            if (errno == Libc.EAGAIN)
                return false;
            error = new LinuxException(_operation, errno);
            return true;
        }
    }

    /// <summary>
    /// Arms the wait. Returns true if it is now someone else's to finish (the poller, a canceller or Abort
    /// will wake it); false if the caller must run <see cref="Execute"/> itself because something happened
    /// since <paramref name="readiness"/> was read.
    /// </summary>
    private bool Arm(int readiness)
    {
        Interlocked.Exchange(ref _armed, 1); // full fence: pairs with Increment-then-CompareExchange in OnReady
        if (Volatile.Read(ref _readiness) == readiness && !_disposed && !_cancellation.IsCancellationRequested)
            return true;
        return Interlocked.CompareExchange(ref _armed, 0, 1) != 1;
    }

    private void Wake()
    {
        if (Interlocked.CompareExchange(ref _armed, 0, 1) == 1)
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    /// <summary>Runs when woken (on the pool) or inline after a lost race: finish the operation or re-arm.</summary>
    public void Execute()
    {
        while (true)
        {
            if (_disposed)
            {
                Finish(0, new ObjectDisposedException(_operation));
                return;
            }
            if (_cancellation.IsCancellationRequested)
            {
                Finish(0, new OperationCanceledException(_cancellation));
                return;
            }
            int readiness = Volatile.Read(ref _readiness);
            if (TryComplete(_buffer.Span, out int count, out var error))
            {
                Finish(count, error);
                return;
            }
            if (Arm(readiness))
                return;
        }
    }

    private void Finish(int count, Exception? error)
    {
        _registration.Unregister(); // never blocks, unlike Dispose, which could wait on our own callback
        _registration = default;
        _cancellation = default;
        _buffer = default;
        if (error is null)
            _core.SetResult(count);
        else
            _core.SetException(error);
    }

    public int GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    void IValueTaskSource.GetResult(short token) => GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
