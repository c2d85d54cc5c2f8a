using Kybernet.Linux.Processes;

namespace Kybernet.Kubelet.Runtime;

/// <summary>
/// The containerd-shim-runc-v2 processes one containerd started: each is told its containerd's socket as
/// "-address SOCKET" on its command line, so the shims of a socket are ours by construction. A shim outlives its
/// containerd on purpose (containers survive a runtime restart), so a full stop has to end them itself.
/// </summary>
internal static class ContainerdShims
{
    /// <summary>containerd 1.6 puts every shim's ttrpc socket here, whatever its state dir (shared by all instances).</summary>
    public const string SocketDirectory = "/run/containerd/s";

    public static Func<string[], bool> IsShimOf(string socket) => argv =>
        argv.Length > 0 && Path.GetFileName(argv[0]).StartsWith("containerd-shim", StringComparison.Ordinal) && OptionValue(argv, "-address") == socket;

    public static IReadOnlyList<int> Find(string socket) => ProcFs.Find(IsShimOf(socket));

    /// <summary>The processes whose parent is <paramref name="pid"/> (a shim's children are its containers' init processes).</summary>
    public static IReadOnlyList<int> Children(int pid) =>
        ProcFs.Pids().Where(p => ParentOf(p) == pid).ToList();

    /// <summary>
    /// The unix socket paths under <see cref="SocketDirectory"/> that <paramref name="pid"/> holds open: its fds'
    /// socket inodes matched with its network namespace's socket table. A SIGKILLed shim cannot remove its socket
    /// file, so we learn the name first.
    /// </summary>
    public static IReadOnlyList<string> SocketFiles(int pid)
    {
        try
        {
            var inodes = new HashSet<string>();
            foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
            {
                var target = TryLinkTarget(fd);
                if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
                    inodes.Add(target["socket:[".Length..^1]);
            }
            // Num RefCount Protocol Flags Type St Inode Path
            return File.ReadLines($"/proc/{pid}/net/unix").Skip(1)
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(f => f.Length >= 8 && inodes.Contains(f[6]) && f[7].StartsWith(SocketDirectory + "/", StringComparison.Ordinal))
                .Select(f => f[7])
                .Distinct()
                .ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return []; // it exited meanwhile, and removed its socket on the way out
        }
    }

    private static string? TryLinkTarget(string path)
    {
        try { return new FileInfo(path).LinkTarget; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    private static int ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // "PID (COMM) S PPID ...": COMM may hold spaces, so fields count from the last ')'.
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return rest.Length > 1 && int.TryParse(rest[1], out var ppid) ? ppid : -1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return -1;
        }
    }

    private static string? OptionValue(string[] argv, string option)
    {
        int i = Array.IndexOf(argv, option);
        return i >= 0 && i + 1 < argv.Length ? argv[i + 1] : null;
    }
}
