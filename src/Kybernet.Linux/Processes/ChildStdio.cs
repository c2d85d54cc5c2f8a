using System.Text;

namespace Kybernet.Linux.Processes;

/// <summary>
/// Where one of a child's standard streams goes: bytes written to its stdin, its output captured, appended
/// to a log file, /dev/null, or the caller's own descriptor (a terminal).
/// </summary>
public sealed class ChildStdio
{
    internal enum Kinds { Null, Inherit, Capture, Input, AppendTo }

    private ChildStdio(Kinds kind, ReadOnlyMemory<byte> input = default, string? path = null)
    {
        Kind = kind;
        Data = input;
        Path = path;
    }

    internal Kinds Kind { get; }
    internal ReadOnlyMemory<byte> Data { get; }
    internal string? Path { get; }

    /// <summary>/dev/null: no input, output dropped.</summary>
    public static ChildStdio Null { get; } = new(Kinds.Null);

    /// <summary>The caller's own descriptor: a terminal's, for an interactive command.</summary>
    public static ChildStdio Inherit { get; } = new(Kinds.Inherit);

    /// <summary>Output only: read through a pipe into the result.</summary>
    public static ChildStdio Capture { get; } = new(Kinds.Capture);

    /// <summary>Stdin only: these bytes through a pipe, then end of input.</summary>
    public static ChildStdio Input(ReadOnlyMemory<byte> data) => new(Kinds.Input, data);

    /// <summary>Stdin only: this text in UTF-8, then end of input.</summary>
    public static ChildStdio Input(string text) => new(Kinds.Input, Encoding.UTF8.GetBytes(text));

    /// <summary>Output only: appended to this file (created 0644 if missing), e.g. a daemon's log.</summary>
    public static ChildStdio AppendTo(string path) => new(Kinds.AppendTo, path: path);

    internal bool IsPipe => Kind is Kinds.Capture or Kinds.Input;

    public override string ToString() => Kind switch
    {
        Kinds.Input => $"input ({Data.Length} bytes)",
        Kinds.AppendTo => $"append to {Path}",
        _ => Kind.ToString().ToLowerInvariant(),
    };
}
