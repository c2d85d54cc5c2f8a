using Kybernet.Controllers.NodeIpam;

namespace Kybernet.Controllers.Tests;

/// <summary>A node IPAM controller running in the background on a client of its own, with its log kept; stopped on dispose.</summary>
internal sealed class RunningController : IAsyncDisposable
{
    private readonly StringWriter _text = new();
    private readonly TextWriter _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;

    public RunningController(TestApiServer server, NodeIpamOptions? options = null)
    {
        _log = TextWriter.Synchronized(_text);
        var controller = new NodeIpamController(server.NewClient(), options ?? new NodeIpamOptions(), _log);
        _run = Task.Run(() => controller.RunAsync(_stop.Token));
    }

    public string Log
    {
        get
        {
            lock (_log) // what TextWriter.Synchronized locks
                return _text.ToString();
        }
    }

    /// <summary>Stops the controller; it must end by cancellation, nothing else.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        var ended = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _run);
        Assert.NotNull(ended);
        _stop.Dispose();
    }
}
