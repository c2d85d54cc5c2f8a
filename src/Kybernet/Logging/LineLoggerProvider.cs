using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Kybernet.Cli.Logging;

/// <summary>
/// Writes every log entry as one line, at once, on the calling thread:
/// <c>2026-12-02T01:14:38.123Z INFO  node-ipam: node n1: podCIDR 10.244.0.0/24</c>, with an exception's full text
/// (type, message, stack) on the lines after it. Synchronous on purpose: the console logger of
/// Microsoft.Extensions.Logging queues entries for a background thread, so the last lines before a crash or a
/// SIGKILL can be lost, and those are the ones an operator needs. The lab appends each process's output to its
/// log file, so the same lines land there.
/// </summary>
internal sealed class LineLoggerProvider(TextWriter output) : ILoggerProvider
{
    private readonly Lock _write = new();

    public ILogger CreateLogger(string categoryName) => new LineLogger(this, categoryName);

    public void Dispose() => output.Flush();

    private void Write(LogLevel level, string category, string message, Exception? exception)
    {
        var line = new StringBuilder(96 + message.Length);
        line.Append(DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture))
            .Append(' ').Append(LevelName(level)).Append(' ').Append(category).Append(": ").Append(message);
        if (exception is not null)
            line.Append('\n').Append(exception);
        lock (_write)
        {
            output.WriteLine(line.ToString());
            output.Flush();
        }
    }

    /// <summary>Five letters each, so messages line up.</summary>
    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "TRACE",
        LogLevel.Debug => "DEBUG",
        LogLevel.Information => "INFO ",
        LogLevel.Warning => "WARN ",
        LogLevel.Error => "ERROR",
        LogLevel.Critical => "FATAL",
        _ => "     ",
    };

    private sealed class LineLogger(LineLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        // The factory's filter decides the level; this logger writes whatever reaches it.
        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
                provider.Write(logLevel, category, formatter(state, exception), exception);
        }
    }
}
