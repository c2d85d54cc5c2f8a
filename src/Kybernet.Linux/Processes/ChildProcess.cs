using System.Buffers;
using System.Text;
using Kybernet.Linux.Interop;
using Kybernet.Linux.Namespaces;

namespace Kybernet.Linux.Processes;

/// <summary>
/// A child process: started with posix_spawn (optionally inside a network namespace), given its stdin bytes,
/// its stdout and stderr drained together, and waited for with a bound, all on the waiting thread with one
/// poll over the pipes and the child's pidfd: no helper threads, no sleeps. Inside a namespace only the spawn
/// runs on the shared namespace thread (the child inherits that thread's namespace); the wait happens on the
/// caller's thread, so a slow child never holds namespace work up. At its deadline the child is SIGKILLed,
/// with its whole process group if it leads one. It is reaped by pid, which is safe: nothing reaps it before
/// we do, so its pid (and group id) cannot be reused meanwhile.
/// </summary>
public sealed unsafe class ChildProcess : IDisposable
{
    /// <summary>How long a killed child may take to exit before waiting for it is given up as an error.</summary>
    private static readonly TimeSpan AfterKill = TimeSpan.FromSeconds(5);

    private const int ReadChunk = 16 * 1024;

    private readonly ProcessHandle _process;
    private readonly bool _leadsGroup;
    private readonly ReadOnlyMemory<byte> _input;
    private int _inputWritten;
    private int _stdin, _stdout, _stderr; // our pipe ends; -1 when there is none (any more)
    private ChildProcessResult? _result;
    private bool _detached;

    private ChildProcess(ProcessHandle process, string program, bool leadsGroup, ReadOnlyMemory<byte> input, int stdin, int stdout, int stderr)
    {
        _process = process;
        Program = program;
        _leadsGroup = leadsGroup;
        _input = input;
        _stdin = stdin;
        _stdout = stdout;
        _stderr = stderr;
    }

    public int Pid => _process.Pid;

    /// <summary>The path that was exec'd (a bare name resolved in PATH).</summary>
    public string Program { get; }

    /// <summary>
    /// Starts <paramref name="options"/>' program, inside <paramref name="inside"/> if given; returns once it has
    /// exec'd. Its input is written as far as the pipe takes it now, the rest while <see cref="Wait"/>ing, so the
    /// child can start work while the caller does something else. Failing to start is a <see cref="LinuxException"/>
    /// (ENOENT: no such program).
    /// </summary>
    public static ChildProcess Start(ChildProcessOptions options, NetworkNamespace? inside = null)
    {
        options.Validate();
        var where = inside is null ? "" : $" in {inside.Describe()}";
        var program = Resolve(options.Program, where);
        int[] fds = [-1, -1, -1, -1, -1, -1]; // stdin read/write, stdout read/write, stderr read/write
        try
        {
            using var request = new SpawnRequest(program, options.Arguments, options.Environment ?? ChildProcessOptions.CurrentEnvironment(), options.Grouping);
            Plan(request, 0, options.Stdin, fds, program, null);
            Plan(request, 1, options.Stdout, fds, program, null);
            Plan(request, 2, options.Stderr, fds, program, options.Stdout);
            request.CloseFrom(3);

            int pid = inside is null ? request.Spawn() : inside.Run(request.Spawn);
            if (pid < 0)
                throw new LinuxException($"start {program}{where}", -pid);
            // The child has its copies: closing ours now makes its exit end our reads.
            Close(ref fds[0]);
            Close(ref fds[3]);
            Close(ref fds[5]);

            ProcessHandle handle;
            try
            {
                handle = ProcessHandle.ForChild(pid, $"{Path.GetFileName(program)} (pid {pid})");
            }
            catch
            {
                Signals.Send(pid, Signals.SIGKILL); // not reaped yet: the pid is still the child's
                int status;
                Libc.waitpid(pid, &status, 0);
                throw;
            }
            var child = new ChildProcess(handle, program, options.Grouping != ChildGrouping.Inherit,
                options.Stdin.Kind == ChildStdio.Kinds.Input ? options.Stdin.Data : default, fds[1], fds[2], fds[4]);
            fds = [-1, -1, -1, -1, -1, -1]; // the child owns them now
            try
            {
                foreach (int fd in new[] { child._stdin, child._stdout, child._stderr })
                    NonBlocking(fd, program);
                child.WriteInput();
            }
            catch
            {
                child.Dispose();
                throw;
            }
            return child;
        }
        finally
        {
            for (int i = 0; i < fds.Length; i++)
                Close(ref fds[i]);
        }
    }

    /// <summary>Starts, waits at most <paramref name="timeout"/> (then kills), and returns how it ended.</summary>
    public static ChildProcessResult Run(ChildProcessOptions options, TimeSpan timeout, NetworkNamespace? inside = null)
    {
        using var child = Start(options, inside);
        return child.Wait(timeout);
    }

    /// <summary>
    /// Writes the rest of the input, reads both outputs, and returns once the child has exited (it is reaped then).
    /// If it has not exited after <paramref name="timeout"/> (<see cref="Timeout.InfiniteTimeSpan"/>: no bound), it is
    /// SIGKILLed (its group too, if it leads one) and the result says <see cref="ChildProcessResult.TimedOut"/>.
    /// What the child wrote before it exited is all in the pipes then, so that is read and nothing more is waited
    /// for: a grandchild that kept the pipes open cannot hold this up. Calling it again returns the same result.
    /// </summary>
    public ChildProcessResult Wait(TimeSpan timeout)
    {
        if (_result is { } done)
            return done;
        if (_detached)
            throw new InvalidOperationException($"{Describe()} was detached; it cannot be waited for");
        var stdout = new ArrayBufferWriter<byte>(_stdout >= 0 ? ReadChunk : 1);
        var stderr = new ArrayBufferWriter<byte>(_stderr >= 0 ? ReadChunk : 1);
        var deadline = Deadline.After(timeout);
        bool timedOut = false;
        var fds = stackalloc Libc.PollFd[4];
        while (true)
        {
            int n = 0;
            int stdinAt = _stdin >= 0 ? n++ : -1;
            int stdoutAt = _stdout >= 0 ? n++ : -1;
            int stderrAt = _stderr >= 0 ? n++ : -1;
            int exitAt = n++;
            if (stdinAt >= 0) fds[stdinAt] = new Libc.PollFd { Fd = _stdin, Events = Libc.POLLOUT };
            if (stdoutAt >= 0) fds[stdoutAt] = new Libc.PollFd { Fd = _stdout, Events = Libc.POLLIN };
            if (stderrAt >= 0) fds[stderrAt] = new Libc.PollFd { Fd = _stderr, Events = Libc.POLLIN };
            fds[exitAt] = new Libc.PollFd { Fd = _process.Fd, Events = Libc.POLLIN };

            int ready = Libc.poll(fds, (nuint)n, deadline.MillisecondsLeft);
            if (ready < 0)
            {
                if (Libc.Errno == Libc.EINTR)
                    continue;
                throw LinuxException.FromLastError($"wait for {Describe()} (poll)");
            }
            if (ready == 0)
            {
                if (timedOut)
                {
                    ClosePipes();
                    _detached = true;
                    ChildReaper.Adopt(_process); // reaped if it ever exits
                    throw new LinuxException($"wait for {Describe()}: still running {AfterKill.TotalSeconds:0} s after SIGKILL", Libc.ETIMEDOUT);
                }
                timedOut = true;
                Kill();
                deadline = Deadline.After(AfterKill);
                continue;
            }
            if (stdinAt >= 0 && fds[stdinAt].ReturnedEvents != 0)
                WriteInput();
            if (stdoutAt >= 0 && fds[stdoutAt].ReturnedEvents != 0)
                ReadAvailable(ref _stdout, stdout);
            if (stderrAt >= 0 && fds[stderrAt].ReturnedEvents != 0)
                ReadAvailable(ref _stderr, stderr);
            if (fds[exitAt].ReturnedEvents != 0)
                break;
        }

        // Exited: everything it wrote is in the pipes already.
        ReadAvailable(ref _stdout, stdout);
        ReadAvailable(ref _stderr, stderr);
        ClosePipes();
        int status = Reap();
        _process.Dispose();
        int exitCode = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
        return (_result = new ChildProcessResult(exitCode, Encoding.UTF8.GetString(stdout.WrittenSpan), Encoding.UTF8.GetString(stderr.WrittenSpan), timedOut));
    }

    /// <summary>
    /// The child's argv as /proc shows it, or null if it has exited already. posix_spawn returns as soon as the kernel
    /// has let go of this process's memory in the child's exec, which is before the exec is done: for a moment
    /// /proc/PID/cmdline still shows this process's command line (the child ran on our memory until then), then
    /// reads empty until the new program's arguments are in place (here, two spawns in three return inside that
    /// window). This spins (yielding, never sleeping) through it, for callers that recognise processes by command line.
    /// </summary>
    public string[]? WaitForCommandLine()
    {
        if (_result is not null)
            return null;
        if (_detached)
            throw new InvalidOperationException($"{Describe()} was detached: its pid may have been reaped and reused");
        var deadline = Deadline.After(AfterKill);
        var spin = new SpinWait();
        while (true)
        {
            // Not reaped yet, so the pid is still the child's; a zombie's command line reads empty. A child that runs
            // exactly our own command line is told apart only by time: after the deadline, it is taken as it is.
            if (ProcFs.CommandLine(Pid) is { Length: > 0 } argv && (!argv.SequenceEqual(OwnCommandLine.Value) || deadline.MillisecondsLeft == 0))
                return argv;
            if (_process.HasExited)
                return null;
            if (deadline.MillisecondsLeft == 0)
                throw new LinuxException($"read the command line of {Describe()}: still empty {AfterKill.TotalSeconds:0} s after exec", Libc.ETIMEDOUT);
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    private static readonly Lazy<string[]> OwnCommandLine = new(() => ProcFs.CommandLine(Environment.ProcessId) ?? []);

    /// <summary>
    /// Lets the child run on its own (a daemon): nobody waits for it here, and it is reaped in the background
    /// when it exits, so no zombie stays behind. A child with pipes cannot be detached: nobody would drain them.
    /// </summary>
    public void Detach()
    {
        if (_result is not null || _detached)
            return;
        if (_stdin >= 0 || _stdout >= 0 || _stderr >= 0)
            throw new InvalidOperationException($"{Describe()} has pipes to this process; only a child with no pipes can be detached");
        _detached = true;
        ChildReaper.Adopt(_process);
    }

    /// <summary>
    /// A child that was neither waited for nor detached is killed (with its group) and reaped: the owner leaves nothing
    /// behind. Never throws (it runs in `using` blocks, where it would hide the failure that is unwinding): a child
    /// still there after SIGKILL (stuck in the kernel) is handed to the reaper, which collects it when it goes.
    /// </summary>
    public void Dispose()
    {
        if (_result is not null || _detached)
            return;
        Kill();
        try
        {
            Wait(AfterKill);
        }
        catch (LinuxException)
        {
            if (!_detached)
            {
                ClosePipes();
                _detached = true;
                ChildReaper.Adopt(_process);
            }
        }
    }

    public override string ToString() => Describe();

    private string Describe() => $"{Path.GetFileName(Program)} (pid {Pid})";

    /// <summary>SIGKILL to the child, and to its whole group when it leads one (what it started goes too).</summary>
    private void Kill()
    {
        if (!_leadsGroup || !Signals.Send(-Pid, Signals.SIGKILL))
            _process.Signal(Signals.SIGKILL);
    }

    private int Reap()
    {
        int status;
        while (true)
        {
            int reaped = Libc.waitpid(Pid, &status, 0);
            if (reaped == Pid)
                return status;
            if (reaped < 0 && Libc.Errno != Libc.EINTR)
                throw LinuxException.FromLastError($"reap {Describe()} (waitpid)");
        }
    }

    /// <summary>As much of the input as the pipe takes without blocking; closes stdin once all is written or the child stopped reading.</summary>
    private void WriteInput()
    {
        if (_stdin < 0)
            return;
        fixed (byte* data = _input.Span)
        {
            while (_inputWritten < _input.Length)
            {
                nint n = Libc.write(_stdin, data + _inputWritten, (nuint)(_input.Length - _inputWritten));
                if (n > 0) { _inputWritten += (int)n; continue; }
                int errno = Libc.Errno;
                if (errno == Libc.EINTR) continue;
                if (errno == Libc.EAGAIN) return;
                if (errno == Libc.EPIPE) break; // it exited or closed its input: its exit status tells why
                throw new LinuxException($"write input of {Describe()}", errno);
            }
        }
        Close(ref _stdin);
    }

    /// <summary>Reads what is in the pipe now; closes it at end of file.</summary>
    private void ReadAvailable(ref int fd, ArrayBufferWriter<byte> output)
    {
        while (fd >= 0)
        {
            var span = output.GetSpan(ReadChunk);
            nint n;
            fixed (byte* buffer = span)
                n = Libc.read(fd, buffer, (nuint)span.Length);
            if (n > 0) { output.Advance((int)n); continue; }
            if (n == 0) { Close(ref fd); return; }
            int errno = Libc.Errno;
            if (errno == Libc.EINTR) continue;
            if (errno == Libc.EAGAIN) return;
            throw new LinuxException($"read output of {Describe()}", errno);
        }
    }

    private void ClosePipes()
    {
        Close(ref _stdin);
        Close(ref _stdout);
        Close(ref _stderr);
    }

    /// <summary>Adds the file actions that give the child's descriptor <paramref name="target"/> its <paramref name="stdio"/>.</summary>
    private static void Plan(SpawnRequest request, int target, ChildStdio stdio, int[] fds, string program, ChildStdio? stdout)
    {
        switch (stdio.Kind)
        {
            case ChildStdio.Kinds.Inherit:
                break;
            case ChildStdio.Kinds.Null:
                request.Open(target, "/dev/null", target == 0 ? Libc.O_RDONLY : Libc.O_WRONLY, 0);
                break;
            case ChildStdio.Kinds.AppendTo when stdout is { Kind: ChildStdio.Kinds.AppendTo } && stdout.Path == stdio.Path:
                request.Dup(1, target); // one open file for both: their lines interleave in order
                break;
            case ChildStdio.Kinds.AppendTo:
                request.Open(target, stdio.Path!, Libc.O_WRONLY | Libc.O_APPEND | Libc.O_CREAT, 0b110_100_100);
                break;
            default: // a pipe: [2 * target] is the read end, [2 * target + 1] the write end
                var pipe = stackalloc int[2];
                if (Libc.pipe2(pipe, Libc.O_CLOEXEC) != 0)
                    throw LinuxException.FromLastError($"start {program}: create a pipe for fd {target}");
                fds[2 * target] = pipe[0];
                fds[2 * target + 1] = pipe[1];
                request.Dup(target == 0 ? pipe[0] : pipe[1], target);
                break;
        }
    }

    private static void NonBlocking(int fd, string program)
    {
        int on = 1;
        if (fd >= 0 && Libc.ioctl(fd, Libc.FIONBIO, &on) != 0)
            throw LinuxException.FromLastError($"start {program}: make a pipe non-blocking");
    }

    /// <summary>A path as is; a bare name found in this process's PATH, as a shell would.</summary>
    private static string Resolve(string program, string where)
    {
        if (program.Contains('/'))
            return program;
        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate) && (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
                return candidate;
        }
        throw new LinuxException($"start {program}{where}: not found in PATH ({path})", Libc.ENOENT);
    }

    private static void Close(ref int fd)
    {
        if (fd >= 0)
            Libc.close(fd);
        fd = -1;
    }
}
