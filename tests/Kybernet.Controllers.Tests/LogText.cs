using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Kybernet.Controllers.Tests;

/// <summary>What a component logged, as text to search: one message per line, in order.</summary>
public static class LogText
{
    public static string Text(this FakeLogCollector log) => string.Join('\n', log.GetSnapshot().Select(r => r.Message));

    /// <summary>A logger factory whose every category writes to <paramref name="provider"/>'s collector.</summary>
    public static ILoggerFactory AsFactory(this FakeLoggerProvider provider) => LoggerFactory.Create(b => b.AddProvider(provider));
}
