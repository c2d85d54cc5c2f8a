namespace Kybernet.Linux.Processes;

/// <summary>How a child is grouped for signals.</summary>
public enum ChildGrouping
{
    /// <summary>In the caller's process group: a terminal's Ctrl-C reaches both (an interactive command).</summary>
    Inherit,

    /// <summary>Leads a process group of its own: a terminal's Ctrl-C reaches only the caller, which decides; a timeout kills the whole group.</summary>
    OwnProcessGroup,

    /// <summary>Leads a session of its own (setsid): no controlling terminal, so it outlives the command that started it and that command's terminal.</summary>
    OwnSession,
}

/// <summary>What to run and how: program, arguments, environment, standard streams and grouping.</summary>
public sealed record ChildProcessOptions
{
    public ChildProcessOptions(string program, params IReadOnlyList<string> arguments)
    {
        ArgumentException.ThrowIfNullOrEmpty(program);
        Program = program;
        Arguments = arguments;
    }

    /// <summary>A path, or a bare name looked up in this process's PATH.</summary>
    public string Program { get; init; }

    /// <summary>argv[1..]; argv[0] is <see cref="Program"/>.</summary>
    public IReadOnlyList<string> Arguments { get; init; }

    /// <summary>The child's whole environment; null: this process's.</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    public ChildStdio Stdin { get; init; } = ChildStdio.Null;
    public ChildStdio Stdout { get; init; } = ChildStdio.Capture;
    public ChildStdio Stderr { get; init; } = ChildStdio.Capture;

    public ChildGrouping Grouping { get; init; } = ChildGrouping.Inherit;

    /// <summary>This process's environment as a dictionary to change for a child.</summary>
    public static Dictionary<string, string> CurrentEnvironment() =>
        System.Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "");

    internal void Validate()
    {
        if (Stdin.Kind is ChildStdio.Kinds.Capture or ChildStdio.Kinds.AppendTo)
            throw new ArgumentException($"stdin of {Program} cannot be {Stdin}", nameof(Stdin));
        foreach (var (name, stream) in new[] { ("stdout", Stdout), ("stderr", Stderr) })
        {
            if (stream.Kind is ChildStdio.Kinds.Input)
                throw new ArgumentException($"{name} of {Program} cannot be {stream}", name);
        }
    }
}

/// <summary>
/// How a child ended. <see cref="ExitCode"/> is 128 + the signal's number if a signal ended it, as shells
/// report it. Stdout and Stderr hold what was captured (empty for streams that were not).
/// </summary>
public sealed record ChildProcessResult(int ExitCode, string Stdout, string Stderr, bool TimedOut)
{
    public bool Succeeded => ExitCode == 0 && !TimedOut;
}
