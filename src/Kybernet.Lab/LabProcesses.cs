using System.Diagnostics;
using Kybernet.Linux.Processes;

namespace Kybernet.Lab;

/// <summary>
/// The long-running processes a lab starts inside its machines (etcd members, agents). Each is started
/// in its own session so it outlives the command that started it and a terminal's Ctrl-C, with stdin
/// from /dev/null and its output appended to a log file. A process counts as the lab's only while it
/// is alive and its command line says so (a predicate over argv), so a recycled pid is never signalled.
/// </summary>
public static class LabProcesses
{
    private static readonly TimeSpan ExecTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Starts <paramref name="argv"/> in <paramref name="machine"/>; returns its pid once its command line is its own.</summary>
    public static int Start(LabMachine machine, IReadOnlyList<string> argv, string logPath, Func<string[], bool> isOurs)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        // setsid execs in place (our child is no group leader) and so does sh: the pid is the program's.
        var start = new ProcessStartInfo("/usr/bin/setsid") { UseShellExecute = false };
        foreach (var arg in new[] { "/bin/sh", "-c", "log=$1; shift; exec \"$@\" </dev/null >>\"$log\" 2>&1", "sh", logPath }.Concat(argv))
            start.ArgumentList.Add(arg);
        using var process = Lab.Start(machine, start);
        int pid = process.Id;
        // Until setsid and sh have exec'd, the pid's command line is theirs: wait for the program's, so
        // everything after (health, stop) can tell this process by its command line.
        var deadline = DateTime.UtcNow + ExecTimeout;
        while (!IsOurs(pid, isOurs) && IsAlive(pid) && DateTime.UtcNow < deadline)
            Thread.Sleep(5);
        return pid;
    }

    /// <summary>The pid is alive (not a zombie) and its command line satisfies <paramref name="isOurs"/>.</summary>
    public static bool IsOurs(int pid, Func<string[], bool> isOurs) =>
        pid > 0 && IsAlive(pid) && CommandLine(pid) is { Length: > 0 } argv && isOurs(argv);

    /// <summary>Every live process whose command line satisfies <paramref name="isOurs"/>.</summary>
    public static IReadOnlyList<int> Find(Func<string[], bool> isOurs) =>
        Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && IsOurs(pid, isOurs))
            .ToList();

    /// <summary>
    /// Stops each process in turn: SIGTERM (or SIGKILL with <paramref name="kill"/>), then SIGKILL after a
    /// bounded wait. One at a time, so members of a cluster leave it one by one.
    /// </summary>
    public static void Stop(IEnumerable<int> pids, Func<string[], bool> isOurs, bool kill = false)
    {
        foreach (var pid in pids)
        {
            if (!IsOurs(pid, isOurs))
                continue;
            Signals.Send(pid, kill ? Signals.SIGKILL : Signals.SIGTERM);
            if (!WaitGone(pid, isOurs, StopTimeout))
            {
                Signals.Send(pid, Signals.SIGKILL);
                if (!WaitGone(pid, isOurs, StopTimeout))
                    throw new LabException($"process {pid} ({string.Join(' ', CommandLine(pid) ?? [])}) did not exit after SIGKILL");
            }
        }
    }

    /// <summary>
    /// Polls (bounded) until <paramref name="ready"/>; if the process <paramref name="what"/> stops first or the
    /// deadline passes, a <see cref="LabException"/> with the end of its log. One shape for every lab process's start.
    /// </summary>
    public static void WaitUntilReady(string what, string notReady, Func<bool> ready, Func<bool> running, string logPath, DateTime deadline, TimeSpan interval)
    {
        while (!ready())
        {
            if (!running())
                throw new LabException($"{what} exited while starting; the end of its log:\n{LogTail(logPath)}");
            if (DateTime.UtcNow > deadline)
                throw new LabException($"{what} {notReady}; the end of its log:\n{LogTail(logPath)}");
            Thread.Sleep(interval);
        }
    }

    /// <summary>
    /// Runs a short command inside <paramref name="machine"/> to its end (bounded by <paramref name="timeout"/>, then
    /// killed) and returns its output; a failure is a <see cref="LabException"/> with its error output.
    /// </summary>
    public static string Run(LabMachine machine, string program, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, string? stdin = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            start.Environment[key] = value;
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        var command = $"{Path.GetFileName(program)} {string.Join(' ', start.ArgumentList)}";
        using var process = Lab.Start(machine, start);
        process.StandardInput.Write(stdin ?? "");
        process.StandardInput.Close();
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true); // ours: started just above, and not reaped yet
            throw new LabException($"{command} gave no answer in {limit.TotalSeconds} s");
        }
        if (process.ExitCode != 0)
            throw new LabException($"{command} failed (exit {process.ExitCode}): {error.Result.Trim()} {output.Result.Trim()}".TrimEnd());
        return output.Result;
    }

    /// <summary>"PID COMMAND" for every process whose network namespace is one of <paramref name="namespaces"/> (names under /run/netns).</summary>
    public static IReadOnlyList<string> InNamespaces(IReadOnlyCollection<string> namespaces)
    {
        // A pinned namespace's mount has the namespace as its root ("net:[INODE]"), the same text /proc/PID/ns/net links to.
        var wanted = namespaces.Select(n => $"/run/netns/{n}").ToHashSet();
        var ids = File.ReadLines("/proc/self/mountinfo")
            .Select(line => line.Split(' '))
            .Where(f => f.Length > 4 && wanted.Contains(f[4]) && f[3].StartsWith("net:[", StringComparison.Ordinal))
            .Select(f => f[3])
            .ToHashSet();
        var found = new List<string>();
        if (ids.Count == 0)
            return found;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || !IsAlive(pid))
                continue;
            string? netns;
            try { netns = new FileInfo($"/proc/{pid}/ns/net").LinkTarget; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            if (netns is not null && ids.Contains(netns))
                found.Add($"{pid} {string.Join(' ', CommandLine(pid) ?? [])}");
        }
        return found;
    }

    /// <summary>The last lines of a log file, for error messages.</summary>
    public static string LogTail(string path, int lines = 20)
    {
        try { return string.Join('\n', File.ReadLines(path).TakeLast(lines)); }
        catch (IOException) { return "(no log)"; }
    }

    /// <summary>The pid exists and is not a zombie (a killed child its parent has not reaped yet).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return !stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The value after <paramref name="option"/> in argv, if any.</summary>
    public static string? OptionValue(string[] argv, string option)
    {
        int i = Array.IndexOf(argv, option);
        return i >= 0 && i + 1 < argv.Length ? argv[i + 1] : null;
    }

    private static string[]? CommandLine(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").TrimEnd('\0').Split('\0'); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    private static bool WaitGone(int pid, Func<string[], bool> isOurs, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (IsOurs(pid, isOurs))
        {
            if (DateTime.UtcNow > deadline)
                return false;
            Thread.Sleep(10);
        }
        return true;
    }
}
