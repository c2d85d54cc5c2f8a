using System.Runtime.InteropServices;

namespace Kybernet.Cli.Commands;

/// <summary>
/// A token that SIGTERM and SIGINT cancel (the default would end the process at once), for
/// long-running commands that must stop cleanly: the agent keeps its lease and kernel state.
/// </summary>
internal sealed class ShutdownSignal : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly PosixSignalRegistration[] _registrations;

    private ShutdownSignal(CancellationToken linked)
    {
        _source = CancellationTokenSource.CreateLinkedTokenSource(linked);
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop),
            PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop),
        ];
    }

    public CancellationToken Token => _source.Token;

    public static ShutdownSignal Link(CancellationToken ct) => new(ct);

    private void Stop(PosixSignalContext context)
    {
        context.Cancel = true;
        _source.Cancel();
    }

    public void Dispose()
    {
        foreach (var registration in _registrations)
            registration.Dispose();
        _source.Dispose();
    }
}
