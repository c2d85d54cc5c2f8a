using System.Runtime.InteropServices;

namespace Kybernet.Agnhost;

/// <summary>
/// agnhost pause: prints "Paused" and waits. Like upstream it exits 1 on SIGINT and 2 on SIGTERM (so a pod's
/// terminated state shows which signal ended it).
/// </summary>
public static class PauseCommand
{
    public static async Task<int> RunAsync()
    {
        var signalled = new TaskCompletionSource<int>();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; signalled.TrySetResult(1); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; signalled.TrySetResult(2); });
        // Only now: a signal that came before the handlers would kill it with the default action, not these codes.
        Console.Out.WriteLine("Paused");
        int code = await signalled.Task;
        Console.Out.WriteLine($"exiting {code}");
        return code;
    }
}
