namespace Kybernet.Controllers;

/// <summary>
/// One control loop: watches what it needs, makes the world match, and runs until cancelled. It is level-triggered,
/// so starting it again (after a crash, on another server) only redoes what is still undone.
/// </summary>
public interface IController
{
    /// <summary>Short name for logs ("node-ipam").</summary>
    string Name { get; }

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled; throws only on failures it cannot ride out.</summary>
    Task RunAsync(CancellationToken cancellationToken);
}
