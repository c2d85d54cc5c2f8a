using System.CommandLine;
using Microsoft.Extensions.Logging;

namespace Kybernet.Cli.Logging;

/// <summary>
/// <c>--log-level</c>, shared by the long-running commands (server, agent), and the one logger factory they build
/// from it: every component logs through it, as one line per entry on stdout (<see cref="LineLoggerProvider"/>).
/// </summary>
internal static class LogOptions
{
    public static Option<string> Level() => new("--log-level")
    {
        Description = "The least severe entries to log: trace, debug (also every API request), info, warning or error",
        DefaultValueFactory = _ => "info",
    };

    /// <summary>The level a <c>--log-level</c> value names (case-insensitive; "information" and "warn" too), or null.</summary>
    public static LogLevel? Parse(string text) => text.ToLowerInvariant() switch
    {
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "info" or "information" => LogLevel.Information,
        "warning" or "warn" => LogLevel.Warning,
        "error" => LogLevel.Error,
        _ => null,
    };

    /// <summary>
    /// Logging at <paramref name="level"/> and above to stdout. The frameworks underneath (ASP.NET Core, gRPC: categories
    /// Microsoft.* and System.*) speak only from Warning up, unless trace is asked for: at debug they describe every
    /// connection, which buries Kybernet's own lines.
    /// </summary>
    public static ILoggerFactory CreateFactory(LogLevel level, TextWriter? output = null) => LoggerFactory.Create(builder =>
    {
        builder.ClearProviders();
        builder.SetMinimumLevel(level);
        if (level > LogLevel.Trace)
        {
            builder.AddFilter("Microsoft", LogLevel.Warning);
            builder.AddFilter("System", LogLevel.Warning);
        }
        builder.AddProvider(new LineLoggerProvider(output ?? Console.Out));
    });
}
