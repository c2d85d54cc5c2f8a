namespace Kybernet.Linux.Processes;

/// <summary>
/// What /proc says about processes: whether one is alive, its command line, which ones match a predicate
/// over their command line, which ones run in given network namespaces. Everything here races with
/// processes coming and going: a process that ends while it is read is simply not there.
/// </summary>
public static class ProcFs
{
    /// <summary>The pid exists and is not a zombie (exited, not yet reaped by its parent) or dead.</summary>
    public static bool IsAlive(int pid)
    {
        if (pid <= 0)
            return false;
        try
        {
            // "PID (COMM) S ...": COMM may hold spaces and parentheses, so the state is after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            int end = stat.LastIndexOf(')');
            return end >= 0 && end + 2 < stat.Length && stat[end + 2] is not ('Z' or 'X' or 'x');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The process's argv; empty for kernel threads and zombies, null if there is no such process.</summary>
    public static string[]? CommandLine(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/cmdline").TrimEnd('\0');
            return text.Length == 0 ? [] : text.Split('\0');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Every pid under /proc at the moment of reading.</summary>
    public static IEnumerable<int> Pids() =>
        Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0);

    /// <summary>Every live process whose command line satisfies <paramref name="matches"/>.</summary>
    public static IReadOnlyList<int> Find(Func<string[], bool> matches) =>
        Pids().Where(pid => IsAlive(pid) && CommandLine(pid) is { Length: > 0 } argv && matches(argv)).ToList();

    /// <summary>
    /// Every live process whose network namespace is one of <paramref name="namespaces"/> (names under /run/netns).
    /// A pinned namespace's mount has the namespace itself as its root ("net:[INODE]" in mountinfo), the
    /// same text /proc/PID/ns/net links to, so no namespace is entered to find out.
    /// </summary>
    public static IReadOnlyList<int> InNetworkNamespaces(IReadOnlyCollection<string> namespaces)
    {
        var wanted = namespaces.Select(n => $"/run/netns/{n}").ToHashSet();
        var ids = File.ReadLines("/proc/self/mountinfo")
            .Select(line => line.Split(' '))
            .Where(f => f.Length > 4 && wanted.Contains(f[4]) && f[3].StartsWith("net:[", StringComparison.Ordinal))
            .Select(f => f[3])
            .ToHashSet();
        if (ids.Count == 0)
            return [];
        return Pids().Where(pid => IsAlive(pid) && NetworkNamespaceOf(pid) is { } netns && ids.Contains(netns)).ToList();
    }

    /// <summary>"net:[INODE]" of the process's network namespace, or null if it cannot be read.</summary>
    public static string? NetworkNamespaceOf(int pid)
    {
        try { return new FileInfo($"/proc/{pid}/ns/net").LinkTarget; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
