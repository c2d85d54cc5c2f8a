namespace Kybernet.Agnhost;

/// <summary>
/// The command line of one subcommand, parsed the way Go's pflag reads it: "--name=value", "--name value",
/// a bare "--name" for a boolean, and the positional arguments in order. Each subcommand declares the flags it
/// knows; anything else is an error, as upstream's cobra commands report it.
/// </summary>
public sealed class Flags
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _booleans;
    private readonly HashSet<string> _known;

    private Flags(IEnumerable<string> known, IEnumerable<string> booleans)
    {
        _booleans = new HashSet<string>(booleans, StringComparer.Ordinal);
        _known = new HashSet<string>(known, StringComparer.Ordinal);
        _known.UnionWith(_booleans);
    }

    public List<string> Positional { get; } = [];

    public bool HelpRequested { get; private set; }

    /// <summary>Parses <paramref name="args"/>; a FormatException names the flag that is unknown or lacks its value.</summary>
    public static Flags Parse(IReadOnlyList<string> args, IEnumerable<string> valued, IEnumerable<string>? booleans = null)
    {
        var flags = new Flags(valued, booleans ?? []);
        for (int i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                flags.Positional.AddRange(args.Skip(i + 1));
                break;
            }
            if (arg.Length < 2 || arg[0] != '-')
            {
                flags.Positional.Add(arg);
                continue;
            }
            var body = arg.TrimStart('-');
            int equals = body.IndexOf('=');
            var name = equals < 0 ? body : body[..equals];
            if (name is "help" or "h")
            {
                flags.HelpRequested = true;
                continue;
            }
            if (!flags._known.Contains(name))
                throw new FormatException($"unknown flag: {arg}");
            if (equals >= 0)
                flags._values[name] = body[(equals + 1)..];
            else if (flags._booleans.Contains(name))
                flags._values[name] = "true";
            else if (i + 1 < args.Count)
                flags._values[name] = args[++i];
            else
                throw new FormatException($"flag needs an argument: {arg}");
        }
        return flags;
    }

    public string String(string name, string fallback) => _values.TryGetValue(name, out var v) ? v : fallback;

    public int Int(string name, int fallback) =>
        !_values.TryGetValue(name, out var v) ? fallback
        : int.TryParse(v, out int n) ? n
        : throw new FormatException($"invalid argument \"{v}\" for \"--{name}\" flag: not an integer");

    public bool Bool(string name, bool fallback) =>
        !_values.TryGetValue(name, out var v) ? fallback
        : v switch
        {
            "true" or "1" or "t" or "T" or "TRUE" or "True" => true,
            "false" or "0" or "f" or "F" or "FALSE" or "False" => false,
            _ => throw new FormatException($"invalid argument \"{v}\" for \"--{name}\" flag: not a boolean"),
        };

    public TimeSpan Duration(string name, TimeSpan fallback) =>
        !_values.TryGetValue(name, out var v) ? fallback
        : GoDuration.TryParse(v, out var d) ? d
        : throw new FormatException($"invalid argument \"{v}\" for \"--{name}\" flag: not a duration");
}
