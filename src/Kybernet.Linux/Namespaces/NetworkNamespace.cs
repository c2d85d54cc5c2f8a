using Kybernet.Linux.Interop;

namespace Kybernet.Linux.Namespaces;

/// <summary>
/// A Linux network namespace held open by a file descriptor. Named namespaces are bind mounts under
/// /run/netns, exactly where `ip netns` keeps them, so people can inspect them with their usual tools.
/// setns is per thread, so code that must run inside a namespace runs on the dedicated namespace
/// thread (<see cref="Run{T}"/>) and never awaits there. Sockets opened inside keep the namespace.
/// </summary>
public sealed class NetworkNamespace : IDisposable
{
    /// <summary>Where named namespaces live (iproute2's convention).</summary>
    public const string RunDirectory = "/run/netns";

    private int _fd;

    private NetworkNamespace(int fd, string? name, string path)
    {
        _fd = fd;
        Name = name;
        Path = path;
    }

    /// <summary>The name under /run/netns, or null for a namespace opened by path (the root one, say).</summary>
    public string? Name { get; }

    public string Path { get; }

    /// <summary>An open descriptor of the namespace (for setns, IFLA_NET_NS_FD).</summary>
    public int Fd => _fd >= 0 ? _fd : throw new ObjectDisposedException(ToString());

    /// <summary>How errors name this namespace: "netns NAME" or "netns PATH".</summary>
    public string Describe() => Name is null ? $"netns {Path}" : $"netns {Name}";

    public override string ToString() => Describe();

    /// <summary>Creates a new, empty namespace and pins it at /run/netns/NAME. Fails with EEXIST if the name is taken.</summary>
    public static NetworkNamespace Create(string name)
    {
        ValidateName(name);
        Directory.CreateDirectory(RunDirectory);
        var path = PathOf(name);
        int placeholder = Libc.open(path, Libc.O_RDONLY | Libc.O_CREAT | Libc.O_EXCL | Libc.O_CLOEXEC, 0);
        if (placeholder < 0)
            throw LinuxException.FromLastError($"create netns {name}");
        Libc.close(placeholder);

        try
        {
            // unshare moves only the namespace thread into the new namespace; the bind mount keeps
            // the namespace alive after that thread has gone home.
            NamespaceThread.Invoke(
                enter: () =>
                {
                    if (Libc.unshare(Libc.CLONE_NEWNET) != 0)
                        throw LinuxException.FromLastError($"create netns {name} (unshare)");
                },
                work: () =>
                {
                    if (Libc.mount("/proc/thread-self/ns/net", path, null, Libc.MS_BIND, 0) != 0)
                        throw LinuxException.FromLastError($"create netns {name} (bind mount)");
                    return 0;
                });
        }
        catch
        {
            Libc.unlink(path);
            throw;
        }
        return Open(name);
    }

    /// <summary>Opens the namespace pinned at /run/netns/NAME.</summary>
    public static NetworkNamespace Open(string name)
    {
        ValidateName(name);
        var path = PathOf(name);
        int fd = Libc.open(path, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        if (fd < 0)
            throw LinuxException.FromLastError($"open netns {name}");
        return new NetworkNamespace(fd, name, path);
    }

    /// <summary>Opens a namespace by any nsfs path, e.g. /proc/PID/ns/net.</summary>
    public static NetworkNamespace OpenPath(string path)
    {
        int fd = Libc.open(path, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        if (fd < 0)
            throw LinuxException.FromLastError($"open netns {path}");
        return new NetworkNamespace(fd, null, path);
    }

    /// <summary>The namespace the calling thread is in (the host's, unless called inside <see cref="Run{T}"/>).</summary>
    public static NetworkNamespace OpenCurrent() => OpenPath("/proc/thread-self/ns/net");

    public static bool Exists(string name) => File.Exists(PathOf(name));

    /// <summary>Names of all namespaces pinned under /run/netns.</summary>
    public static IReadOnlyList<string> List() =>
        Directory.Exists(RunDirectory)
            ? Directory.GetFiles(RunDirectory).Select(System.IO.Path.GetFileName).OfType<string>().Order().ToList()
            : [];

    /// <summary>
    /// Unpins a namespace. The kernel destroys it, and every link inside, once nothing else holds it
    /// (an open descriptor or a process still inside keeps it alive). Returns false if it did not exist.
    /// </summary>
    public static bool Delete(string name)
    {
        ValidateName(name);
        var path = PathOf(name);
        if (!File.Exists(path))
            return false;
        if (Libc.umount2(path, Libc.MNT_DETACH) != 0 && Libc.Errno != Libc.EINVAL)
            throw LinuxException.FromLastError($"delete netns {name} (unmount)");
        if (Libc.unlink(path) != 0 && Libc.Errno != Libc.ENOENT)
            throw LinuxException.FromLastError($"delete netns {name} (unlink)");
        return true;
    }

    /// <summary>
    /// Runs <paramref name="action"/> synchronously on the namespace thread while it is inside this
    /// namespace. Keep it short: all namespace work in the process takes turns on that thread.
    /// </summary>
    public T Run<T>(Func<T> action)
    {
        int fd = Fd;
        return NamespaceThread.Invoke(
            enter: () =>
            {
                if (Libc.setns(fd, Libc.CLONE_NEWNET) != 0)
                    throw LinuxException.FromLastError($"enter {Describe()}");
            },
            work: action);
    }

    public void Run(Action action) => Run(() => { action(); return 0; });

    /// <summary>Opens a socket that belongs to this namespace for its whole life, wherever it is used.</summary>
    public int OpenSocket(int domain, int type, int protocol) => Run(() =>
    {
        int fd = Libc.socket(domain, type | Libc.SOCK_CLOEXEC, protocol);
        if (fd < 0)
            throw LinuxException.FromLastError($"open socket in {Describe()}");
        return fd;
    });

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
            Libc.close(fd);
    }

    public static string PathOf(string name) => System.IO.Path.Combine(RunDirectory, name);

    private static void ValidateName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 200 || name.Contains('/') || name is "." or "..")
            throw new ArgumentException($"invalid netns name \"{name}\"", nameof(name));
    }
}
