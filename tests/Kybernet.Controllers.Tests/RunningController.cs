using Kybernet.Client.Informers;
using Kybernet.Controllers.NodeIpam;
using Microsoft.Extensions.Logging.Testing;

namespace Kybernet.Controllers.Tests;

/// <summary>A controller running in the background on informers and a client of its own, with its log kept; stopped on dispose.</summary>
internal sealed class RunningController : IAsyncDisposable
{
    private readonly FakeLogCollector _log = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;
    private readonly InformerFactory _informers;

    /// <summary>The node IPAM controller.</summary>
    public RunningController(TestApiServer server, NodeIpamOptions? options = null)
        : this(server, (informers, log) => new NodeIpamController(informers, options ?? new NodeIpamOptions(), log))
    {
    }

    /// <summary>The controller <paramref name="make"/> builds on the informers and logger it is given.</summary>
    public RunningController(TestApiServer server, Func<InformerFactory, Microsoft.Extensions.Logging.ILogger, IController> make)
    {
        // Its informers log to the same place, as in the controller manager (relists, failed watches).
        // With the controller manager's identity, so the tests prove its RBAC role is enough.
        _informers = new InformerFactory(server.NewClient(asControllerManager: true), loggers: new FakeLoggerProvider(_log).AsFactory());
        var controller = make(_informers, new FakeLogger(_log));
        _informers.Start();
        _run = Task.Run(() => controller.RunAsync(_stop.Token));
    }

    public string Log => _log.Text();

    /// <summary>Stops the controller; it must end by cancellation, nothing else.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        var ended = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _run);
        Assert.NotNull(ended);
        await _informers.DisposeAsync();
        _stop.Dispose();
    }
}
