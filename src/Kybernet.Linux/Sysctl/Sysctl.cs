using System.Text;
using Kybernet.Linux.Interop;
using Kybernet.Linux.Namespaces;

// The type keeps the name callers expect (Sysctl.Get); a namespace of the same name would shadow it.
namespace Kybernet.Linux;

/// <summary>
/// Network sysctls of one namespace, read and written through /proc/sys. The kernel resolves /proc/sys/net
/// against the network namespace of the thread that opens the file, so the files are opened on a thread
/// inside <c>ns</c>. Only net.* keys are accepted: other sysctls are global, and writing one "inside" a
/// namespace would change the whole host.
/// </summary>
public static class Sysctl
{
    private const string Root = "/proc/sys/";

    /// <summary>The value of <paramref name="key"/> in <paramref name="ns"/>, without the trailing newline.</summary>
    public static string Get(NetworkNamespace ns, string key)
    {
        var path = PathOf(key);
        var operation = $"read sysctl {key} in {ns.Describe()}";
        return ns.Run(() =>
        {
            int fd = Libc.open(path, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
            if (fd < 0)
                throw LinuxException.FromLastError(operation);
            try
            {
                return ReadAll(fd, operation).TrimEnd('\n');
            }
            finally
            {
                Libc.close(fd);
            }
        });
    }

    /// <summary>Sets <paramref name="key"/> in <paramref name="ns"/>; the kernel validates the value (EINVAL if it refuses).</summary>
    public static void Set(NetworkNamespace ns, string key, string value) => Set(ns, [(key, value)]);

    /// <summary>Sets several keys in one visit to the namespace, in order; stops at the first the kernel refuses.</summary>
    public static void Set(NetworkNamespace ns, IReadOnlyList<(string Key, string Value)> settings)
    {
        var writes = settings.Select(s =>
        {
            ArgumentNullException.ThrowIfNull(s.Value);
            return (Path: PathOf(s.Key), Bytes: Encoding.UTF8.GetBytes(s.Value), Operation: $"set sysctl {s.Key}={s.Value} in {ns.Describe()}");
        }).ToList();
        ns.Run(() =>
        {
            foreach (var (path, bytes, operation) in writes)
                Write(path, bytes, operation);
            return 0;
        });
    }

    private static unsafe void Write(string path, byte[] bytes, string operation)
    {
        int fd = Libc.open(path, Libc.O_WRONLY | Libc.O_CLOEXEC, 0);
        if (fd < 0)
            throw LinuxException.FromLastError(operation);
        try
        {
            nint n;
            fixed (byte* p = bytes)
                n = Libc.write(fd, p, (nuint)bytes.Length); // one write: procfs parses each write on its own
            if (n < 0)
                throw LinuxException.FromLastError(operation);
            if (n != bytes.Length)
                throw new IOException($"{operation}: the kernel took {n} of {bytes.Length} bytes");
        }
        finally
        {
            Libc.close(fd);
        }
    }

    /// <summary>
    /// The /proc/sys file of a key. Dotted keys ("net.ipv4.conf.all.rp_filter") map dots to directories,
    /// except that under net.*.conf and net.*.neigh everything between the fourth and the last part is one
    /// interface name, so "net.ipv4.conf.eth0.100.rp_filter" works. The slash form of sysctl(8)
    /// ("net/ipv4/conf/eth0.100/rp_filter") keeps every dot literally.
    /// </summary>
    public static string PathOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        string[] parts;
        if (key.Contains('/'))
        {
            parts = key.Split('/');
        }
        else
        {
            parts = key.Split('.');
            if (parts.Length > 5 && parts[0] == "net" && parts[2] is "conf" or "neigh")
                parts = [.. parts[..3], string.Join('.', parts[3..^1]), parts[^1]];
        }
        if (parts.Length < 2 || parts[0] != "net")
            throw new ArgumentException($"sysctl \"{key}\" is not a network (net.*) sysctl", nameof(key));
        if (parts.Any(p => p.Length == 0 || p is "." or ".." || p.Any(char.IsWhiteSpace)))
            throw new ArgumentException($"invalid sysctl key \"{key}\"", nameof(key));
        return Root + string.Join('/', parts);
    }

    private static unsafe string ReadAll(int fd, string operation)
    {
        var buffer = new byte[4096];
        int length = 0;
        while (true)
        {
            if (length == buffer.Length)
                Array.Resize(ref buffer, buffer.Length * 2);
            nint n;
            fixed (byte* p = &buffer[length])
                n = Libc.read(fd, p, (nuint)(buffer.Length - length));
            if (n < 0)
            {
                if (Libc.Errno == Libc.EINTR)
                    continue;
                throw LinuxException.FromLastError(operation);
            }
            if (n == 0)
                return Encoding.UTF8.GetString(buffer, 0, length);
            length += (int)n;
        }
    }
}
