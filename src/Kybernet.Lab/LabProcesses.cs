using Kybernet.Linux;
using Kybernet.Linux.Namespaces;
using Kybernet.Linux.Processes;

namespace Kybernet.Lab;

/// <summary>
/// The lab's policy for the processes it runs inside its machines, over <see cref="ChildProcess"/>, <see cref="ProcFs"/>
/// and <see cref="ProcessStopper"/>: long-running ones (etcd members, agents, the server) each in a session of its own
/// (so it outlives the command that started it and a terminal's Ctrl-C), stdin from /dev/null, output appended to its
/// log file; short ones (etcdctl, kubectl) run to their end with a bound. A process counts as the lab's only while it is
/// alive and its command line says so (a predicate over argv), so a recycled pid is never signalled.
/// </summary>
public static class LabProcesses
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Starts <paramref name="argv"/> in <paramref name="machine"/> as a daemon and returns its pid once its command line
    /// is the program's (posix_spawn returns after the exec; no shell in between). That command line is checked against
    /// <paramref name="isOurs"/>, since a process the lab would not recognise as its own could never be stopped by it.
    /// </summary>
    public static int Start(LabMachine machine, IReadOnlyList<string> argv, string logPath, Func<string[], bool> isOurs)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        using var ns = NetworkNamespace.Open(machine.Namespace);
        var child = ChildProcess.Start(new ChildProcessOptions(argv[0], argv.Skip(1).ToList())
        {
            Stdin = ChildStdio.Null,
            Stdout = ChildStdio.AppendTo(logPath),
            Stderr = ChildStdio.AppendTo(logPath),
            Grouping = ChildGrouping.OwnSession,
        }, inside: ns);
        string[]? started;
        try
        {
            // One that exited at once has none: its log tells why, and waiting for it to be ready says so.
            started = child.WaitForCommandLine();
        }
        catch
        {
            child.Dispose(); // killed and reaped: never a process the lab has no record of
            throw;
        }
        if (started is not null && !isOurs(started))
        {
            child.Dispose();
            throw new LabException($"started {string.Join(' ', started)} in {machine.Namespace}, but the lab would not recognise it as its own; stopped it");
        }
        child.Detach();
        return child.Pid;
    }

    /// <summary>The pid is alive (not a zombie) and its command line satisfies <paramref name="isOurs"/>.</summary>
    public static bool IsOurs(int pid, Func<string[], bool> isOurs) =>
        ProcFs.IsAlive(pid) && ProcFs.CommandLine(pid) is { Length: > 0 } argv && isOurs(argv);

    /// <summary>Every live process whose command line satisfies <paramref name="isOurs"/>.</summary>
    public static IReadOnlyList<int> Find(Func<string[], bool> isOurs) => ProcFs.Find(isOurs);

    /// <summary>
    /// Stops each process in turn: SIGTERM (or SIGKILL with <paramref name="kill"/>), then SIGKILL after a
    /// bounded wait. One at a time, so members of a cluster leave it one by one.
    /// </summary>
    public static void Stop(IEnumerable<int> pids, Func<string[], bool> isOurs, bool kill = false)
    {
        try
        {
            ProcessStopper.StopInTurn(pids, isOurs, StopTimeout, kill);
        }
        catch (LinuxException e)
        {
            throw new LabException(e.Message, e);
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
        var variables = ChildProcessOptions.CurrentEnvironment();
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            variables[key] = value;
        var options = new ChildProcessOptions(program, args.ToList())
        {
            Environment = variables,
            Stdin = ChildStdio.Input(stdin ?? ""),
            Grouping = ChildGrouping.OwnProcessGroup, // a timeout kills what it started too
        };
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        var command = $"{Path.GetFileName(program)} {string.Join(' ', options.Arguments)}";
        using var ns = NetworkNamespace.Open(machine.Namespace);
        var result = ChildProcess.Run(options, limit, inside: ns);
        if (result.TimedOut)
            throw new LabException($"{command} gave no answer in {limit.TotalSeconds} s");
        if (result.ExitCode != 0)
            throw new LabException($"{command} failed (exit {result.ExitCode}): {result.Stderr.Trim()} {result.Stdout.Trim()}".TrimEnd());
        return result.Stdout;
    }

    /// <summary>"PID COMMAND" for every process whose network namespace is one of <paramref name="namespaces"/> (names under /run/netns).</summary>
    public static IReadOnlyList<string> InNamespaces(IReadOnlyCollection<string> namespaces) =>
        ProcFs.InNetworkNamespaces(namespaces).Select(pid => $"{pid} {string.Join(' ', ProcFs.CommandLine(pid) ?? [])}").ToList();

    /// <summary>The last lines of a log file, for error messages.</summary>
    public static string LogTail(string path, int lines = 20)
    {
        try { return string.Join('\n', File.ReadLines(path).TakeLast(lines)); }
        catch (IOException) { return "(no log)"; }
    }

    /// <summary>The value after <paramref name="option"/> in argv, if any.</summary>
    public static string? OptionValue(string[] argv, string option)
    {
        int i = Array.IndexOf(argv, option);
        return i >= 0 && i + 1 < argv.Length ? argv[i + 1] : null;
    }
}
