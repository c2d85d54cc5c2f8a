using Microsoft.Extensions.Hosting;

namespace Kybernet.ApiServer.Http;

/// <summary>
/// When the server's open watches end as it stops. A token's callbacks run newest first, so a watch
/// that followed ApplicationStopping itself would end before the clients in the same process (the
/// controllers of `kybernet server`, which register later than the server starts but earlier than
/// most watches) are told to stop, and each of them would report its watch broken. This token is
/// cancelled by a callback registered when the server is built, the oldest: it runs last, once
/// everything else that stops with the server has been told.
/// </summary>
public sealed class WatchShutdown
{
    private readonly CancellationTokenSource _ending = new();

    public WatchShutdown(IHostApplicationLifetime lifetime) => lifetime.ApplicationStopping.Register(_ending.Cancel);

    public CancellationToken Ending => _ending.Token;
}
