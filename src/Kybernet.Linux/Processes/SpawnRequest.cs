using System.Runtime.InteropServices;
using System.Text;
using Kybernet.Linux.Interop;

namespace Kybernet.Linux.Processes;

/// <summary>
/// One posix_spawn call prepared in native memory (argv, envp, file actions, attributes), so the call itself is
/// all that runs on the thread that spawns, which may be the shared namespace thread. glibc's posix_spawn is
/// vfork + exec: nothing of this process is copied, and it returns once the child has exec'd or failed to.
/// </summary>
internal sealed unsafe class SpawnRequest : IDisposable
{
    private readonly byte* _strings;
    private readonly byte** _argv;
    private readonly byte** _envp;
    private readonly void* _actions;
    private readonly void* _attributes;
    private readonly void* _signalSets;
    private readonly List<nint> _paths = [];

    public SpawnRequest(string path, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, ChildGrouping grouping)
    {
        Path = path;
        var argv = new List<string>(arguments.Count + 1) { path };
        argv.AddRange(arguments);
        var envp = environment.Select(e => $"{e.Key}={e.Value}").ToList();

        // Every string in one block, NUL-terminated; two NULL-terminated arrays of pointers into it.
        int size = argv.Concat(envp).Sum(s => Encoding.UTF8.GetByteCount(s) + 1);
        _strings = (byte*)NativeMemory.Alloc((nuint)Math.Max(size, 1));
        _argv = (byte**)NativeMemory.Alloc((nuint)(argv.Count + 1), (nuint)sizeof(byte*));
        _envp = (byte**)NativeMemory.Alloc((nuint)(envp.Count + 1), (nuint)sizeof(byte*));
        byte* next = _strings;
        next = Fill(_argv, argv, next, size);
        Fill(_envp, envp, next, size - (int)(next - _strings));

        _actions = NativeMemory.AllocZeroed(Libc.SpawnFileActionsSize);
        Libc.posix_spawn_file_actions_init(_actions);

        // The child starts with no signal blocked and SIGPIPE, SIGINT and SIGQUIT at their defaults: an ignored
        // signal stays ignored across exec. .NET ignores SIGPIPE (which would change how the child's pipelines end),
        // and a shell runs a background command with SIGINT and SIGQUIT ignored (a `./test &` would hand that to
        // every agent and pod helper, and Ctrl-C or a test's SIGINT would no longer reach them).
        _attributes = NativeMemory.AllocZeroed(Libc.SpawnAttributesSize);
        _signalSets = NativeMemory.AllocZeroed(2 * Libc.SigSetSize);
        void* noneBlocked = _signalSets;
        void* defaults = (byte*)_signalSets + Libc.SigSetSize;
        Libc.sigemptyset(noneBlocked);
        Libc.sigemptyset(defaults);
        Libc.sigaddset(defaults, Libc.SIGPIPE);
        Libc.sigaddset(defaults, Libc.SIGINT);
        Libc.sigaddset(defaults, Libc.SIGQUIT);
        Libc.posix_spawnattr_init(_attributes);
        Libc.posix_spawnattr_setsigmask(_attributes, noneBlocked);
        Libc.posix_spawnattr_setsigdefault(_attributes, defaults);
        short flags = Libc.POSIX_SPAWN_SETSIGMASK | Libc.POSIX_SPAWN_SETSIGDEF;
        if (grouping == ChildGrouping.OwnProcessGroup)
        {
            flags |= Libc.POSIX_SPAWN_SETPGROUP;
            Libc.posix_spawnattr_setpgroup(_attributes, 0); // 0: a new group, led by the child
        }
        else if (grouping == ChildGrouping.OwnSession)
        {
            flags |= Libc.POSIX_SPAWN_SETSID; // a session leader leads its process group too
        }
        Libc.posix_spawnattr_setflags(_attributes, flags);
    }

    public string Path { get; }

    /// <summary>The child's <paramref name="target"/> becomes a copy of our <paramref name="fd"/> (dup2 clears close-on-exec on the copy).</summary>
    public void Dup(int fd, int target) => Check(Libc.posix_spawn_file_actions_adddup2(_actions, fd, target), "dup2");

    /// <summary>The child opens <paramref name="file"/> as <paramref name="target"/> before exec.</summary>
    public void Open(int target, string file, int flags, int mode)
    {
        var native = Marshal.StringToCoTaskMemUTF8(file);
        _paths.Add(native);
        Check(Libc.posix_spawn_file_actions_addopen(_actions, target, (byte*)native, flags, mode), $"open {file}");
    }

    /// <summary>Closes every other descriptor in the child, in case one without close-on-exec exists in this process.</summary>
    public void CloseFrom(int fd) => Check(Libc.posix_spawn_file_actions_addclosefrom_np(_actions, fd), "closefrom");

    /// <summary>
    /// Starts the child on the calling thread, whose namespaces it inherits. Returns its pid, or minus the errno
    /// posix_spawn returned (the program is missing or not executable, a file could not be opened).
    /// </summary>
    public int Spawn()
    {
        int pid;
        int error = Libc.posix_spawn(&pid, _argv[0], _actions, _attributes, _argv, _envp);
        return error == 0 ? pid : -error;
    }

    public void Dispose()
    {
        Libc.posix_spawnattr_destroy(_attributes);
        Libc.posix_spawn_file_actions_destroy(_actions);
        NativeMemory.Free(_attributes);
        NativeMemory.Free(_actions);
        NativeMemory.Free(_signalSets);
        NativeMemory.Free(_argv);
        NativeMemory.Free(_envp);
        NativeMemory.Free(_strings);
        foreach (var path in _paths)
            Marshal.FreeCoTaskMem(path);
    }

    private static byte* Fill(byte** pointers, List<string> values, byte* next, int room)
    {
        for (int i = 0; i < values.Count; i++)
        {
            pointers[i] = next;
            int n = Encoding.UTF8.GetBytes(values[i], new Span<byte>(next, room));
            next[n] = 0;
            next += n + 1;
            room -= n + 1;
        }
        pointers[values.Count] = null;
        return next;
    }

    private void Check(int error, string action)
    {
        if (error != 0)
            throw new LinuxException($"prepare to start {Path} ({action})", error);
    }
}

