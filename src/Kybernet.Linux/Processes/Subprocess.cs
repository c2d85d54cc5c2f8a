using System.Runtime.InteropServices;
using System.Text;
using Kybernet.Linux.Interop;

namespace Kybernet.Linux.Processes;

/// <summary>
/// A child process started with posix_spawn (vfork + exec, no copying of this process's memory),
/// with its stdin and stdout on pipes and stderr inherited. It is what a CNI plugin needs to run
/// its IPAM plugin: much lighter than System.Diagnostics.Process, which sets up SIGCHLD handling,
/// thread-pool reads and more, at a cost that shows in every pod's ADD.
/// </summary>
public sealed unsafe class Subprocess
{
    private int _stdout;

    private readonly bool _ownProcessGroup;

    private Subprocess(int pid, int stdout, string path, bool ownProcessGroup)
    {
        Pid = pid;
        _stdout = stdout;
        _ownProcessGroup = ownProcessGroup;
        Path = path;
    }

    public int Pid { get; }
    public string Path { get; }

    /// <summary>
    /// Starts <paramref name="path"/> with <paramref name="environment"/> (the whole environment),
    /// writes <paramref name="stdin"/> to it and closes its input. The caller must <see cref="Wait"/>.
    /// With <paramref name="ownProcessGroup"/>, the child leads a process group of its own, so a terminal's
    /// Ctrl-C (sent to the foreground group) reaches the caller, which can decide, and never the child mid-step.
    /// </summary>
    public static Subprocess Start(string path, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, ReadOnlySpan<byte> stdin, bool ownProcessGroup = false)
    {
        int* input = stackalloc int[2];
        int* output = stackalloc int[2];
        if (Libc.pipe2(input, Libc.O_CLOEXEC) != 0)
            throw LinuxException.FromLastError($"start {path}: create stdin pipe");
        if (Libc.pipe2(output, Libc.O_CLOEXEC) != 0)
        {
            Close(input[0], input[1]);
            throw LinuxException.FromLastError($"start {path}: create stdout pipe");
        }

        byte* actions = stackalloc byte[Libc.SpawnFileActionsSize];
        Libc.posix_spawn_file_actions_init(actions);
        // dup2 clears close-on-exec on the copies, so exactly these two pipe ends reach the child.
        Libc.posix_spawn_file_actions_adddup2(actions, input[0], 0);
        Libc.posix_spawn_file_actions_adddup2(actions, output[1], 1);

        byte* attributes = stackalloc byte[Libc.SpawnAttributesSize];
        if (ownProcessGroup)
        {
            Libc.posix_spawnattr_init(attributes);
            Libc.posix_spawnattr_setflags(attributes, Libc.POSIX_SPAWN_SETPGROUP);
            Libc.posix_spawnattr_setpgroup(attributes, 0); // 0: a new group, led by the child
        }

        var argv = new NativeStrings([path, .. arguments]);
        var envp = new NativeStrings(environment.Select(e => $"{e.Key}={e.Value}").ToList());
        int pid;
        int error;
        try
        {
            error = Libc.posix_spawn(&pid, argv.Pointers[0], actions, ownProcessGroup ? attributes : null, argv.Pointers, envp.Pointers);
        }
        finally
        {
            if (ownProcessGroup)
                Libc.posix_spawnattr_destroy(attributes);
            Libc.posix_spawn_file_actions_destroy(actions);
            argv.Dispose();
            envp.Dispose();
            Close(input[0], output[1]); // the child's ends
        }
        if (error != 0)
        {
            Close(input[1], output[0]);
            throw new LinuxException($"start {path}", error);
        }

        WriteAll(input[1], stdin); // a config fits the pipe buffer; larger ones are read by the child as it starts
        Close(input[1], -1);
        return new Subprocess(pid, output[0], path, ownProcessGroup);
    }

    /// <summary>Reads the child's whole output, then reaps it: (exit code, stdout). A signal death is 128 + signal.</summary>
    public (int ExitCode, string Stdout) Wait() => Wait(Timeout.InfiniteTimeSpan);

    /// <summary>True if <see cref="Wait(TimeSpan)"/> ran out of time and killed the child.</summary>
    public bool TimedOut { get; private set; }

    /// <summary>
    /// Like <see cref="Wait()"/>, but kills the child (SIGKILL) if its output has not ended within <paramref name="timeout"/>;
    /// <see cref="TimedOut"/> tells. Safe by pid: the child is not reaped before we wait for it, so its pid cannot be reused.
    /// </summary>
    public (int ExitCode, string Stdout) Wait(TimeSpan timeout)
    {
        var output = new MemoryStream();
        byte* buffer = stackalloc byte[4096];
        long deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            if (deadline != long.MaxValue)
            {
                // After a kill, a little longer for the pipe to close; something else holding it is not waited for.
                var poll = new Libc.PollFd { Fd = _stdout, Events = Libc.POLLIN };
                int left = (int)Math.Clamp((TimedOut ? deadline + AfterKill : deadline) - Environment.TickCount64, 0, int.MaxValue);
                int ready = Libc.poll(&poll, 1, left);
                if (ready < 0 && Libc.Errno == Libc.EINTR) continue;
                if (ready == 0)
                {
                    if (TimedOut)
                        break;
                    Kill();
                    continue;
                }
            }
            nint n = Libc.read(_stdout, buffer, 4096);
            if (n > 0) { output.Write(new ReadOnlySpan<byte>(buffer, (int)n)); continue; }
            if (n < 0 && Libc.Errno == Libc.EINTR) continue;
            break;
        }
        Close(_stdout, -1);
        _stdout = -1;

        int status;
        while (true)
        {
            // Bounded too: a child that closed its output but did not exit is killed at the deadline.
            int options = deadline == long.MaxValue || TimedOut ? 0 : Libc.WNOHANG;
            int reaped = Libc.waitpid(Pid, &status, options);
            if (reaped == Pid)
                break;
            if (reaped < 0 && Libc.Errno != Libc.EINTR)
                throw LinuxException.FromLastError($"wait for {Path} (pid {Pid})");
            if (reaped == 0)
            {
                if (Environment.TickCount64 >= deadline)
                    Kill();
                else
                    Thread.Sleep(10);
            }
        }
        int exitCode = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
        return (exitCode, Encoding.UTF8.GetString(output.GetBuffer(), 0, (int)output.Length));
    }

    private const long AfterKill = 5000;

    /// <summary>
    /// SIGKILL to the child, and to its whole process group when it leads one (what it started itself goes too).
    /// Safe by pid: the child is not reaped yet, so neither its pid nor its group id can have been reused.
    /// </summary>
    private void Kill()
    {
        TimedOut = true;
        if (!_ownProcessGroup || !Signals.Send(-Pid, Signals.SIGKILL))
            Signals.Send(Pid, Signals.SIGKILL);
    }

    private static void WriteAll(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            int written = 0;
            while (written < data.Length)
            {
                nint n = Libc.write(fd, p + written, (nuint)(data.Length - written));
                if (n < 0 && Libc.Errno == Libc.EINTR) continue;
                if (n <= 0) return; // the child closed its input early: its exit status will say why
                written += (int)n;
            }
        }
    }

    private static void Close(int a, int b)
    {
        if (a >= 0) Libc.close(a);
        if (b >= 0) Libc.close(b);
    }

    /// <summary>A NULL-terminated array of NUL-terminated UTF-8 strings in unmanaged memory.</summary>
    private sealed class NativeStrings : IDisposable
    {
        public NativeStrings(IReadOnlyList<string> values)
        {
            Pointers = (byte**)NativeMemory.Alloc((nuint)(values.Count + 1), (nuint)sizeof(byte*));
            for (int i = 0; i < values.Count; i++)
                Pointers[i] = (byte*)Marshal.StringToCoTaskMemUTF8(values[i]);
            Pointers[values.Count] = null;
            Count = values.Count;
        }

        public byte** Pointers { get; }
        private int Count { get; }

        public void Dispose()
        {
            for (int i = 0; i < Count; i++)
                Marshal.FreeCoTaskMem((nint)Pointers[i]);
            NativeMemory.Free(Pointers);
        }
    }
}
