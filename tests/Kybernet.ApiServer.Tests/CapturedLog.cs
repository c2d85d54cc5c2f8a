using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Kybernet.ApiServer.Tests;

/// <summary>One log entry as a provider saw it.</summary>
public sealed record LogEntry(LogLevel Level, string Category, string Message, Exception? Exception);

/// <summary>A logger provider that keeps every entry, for tests that check what the server logs.</summary>
public sealed class CapturedLog : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => _entries.ToArray();

    /// <summary>A factory that sends everything from <paramref name="minimum"/> up to this log.</summary>
    public ILoggerFactory Factory(LogLevel minimum) => LoggerFactory.Create(b => b.SetMinimumLevel(minimum).AddProvider(this));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    /// <summary>Waits until an entry matches (entries are written as requests end, possibly after the client has its answer).</summary>
    public async Task<LogEntry> WaitFor(Func<LogEntry, bool> match, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            if (Entries.FirstOrDefault(match) is { } found)
                return found;
            if (DateTime.UtcNow > deadline)
                throw new Xunit.Sdk.XunitException($"no log entry {what}; the log has:\n{string.Join("\n", Entries.Select(e => $"{e.Level} {e.Category}: {e.Message}"))}");
            await Task.Delay(20);
        }
    }

    private sealed class Logger(CapturedLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            log._entries.Enqueue(new LogEntry(logLevel, category, formatter(state, exception), exception));
    }
}
