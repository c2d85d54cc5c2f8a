using k8s;
using Microsoft.Extensions.Logging;

namespace Kybernet.Controllers.LeaderElection;

/// <summary>
/// The controller manager under leader election, as kube-controller-manager runs with --leader-elect: the controllers
/// (and the informers they use) run only while this process holds the lease; losing it stops them all at once, and
/// winning it again starts them afresh, from a new list of everything (they are level-triggered, so nothing is lost).
/// </summary>
public sealed class LeaderElectedControllerManager : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly Task _run;
    private readonly ILogger _log;
    private int _disposed;

    private LeaderElectedControllerManager(IKubernetes client, ControllerManagerOptions options, LeaderElectionOptions election, CancellationToken stopping)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        _log = options.Loggers.CreateLogger("leader-election");
        Elector = new LeaderElector(client, election, _log);
        _run = Task.Run(() => Elector.RunAsync(ct => RunControllersAsync(client, options, ct), _stop.Token));
    }

    public LeaderElector Elector { get; }

    /// <summary>Campaigns for the lease in the background and runs the controllers whenever it holds it.</summary>
    public static LeaderElectedControllerManager Start(IKubernetes client, ControllerManagerOptions options, LeaderElectionOptions election, CancellationToken stopping = default) =>
        new(client, options, election, stopping);

    private static async Task RunControllersAsync(IKubernetes client, ControllerManagerOptions options, CancellationToken leading)
    {
        // The manager stops its controllers and informers the moment leading is cancelled; dispose waits for them.
        await using var manager = ControllerManager.Start(client, options, leading);
        await Task.Delay(Timeout.Infinite, leading);
    }

    /// <summary>Stops campaigning and the controllers (handing the lease back if the options say so). Safe to call twice.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        await _stop.CancelAsync();
        try
        {
            await _run;
        }
        catch (OperationCanceledException)
        {
            // How it ends.
        }
        catch (Exception e)
        {
            _log.LogError(e, "leader election failed: {Error}", e.Message);
        }
        _stop.Dispose();
    }
}
