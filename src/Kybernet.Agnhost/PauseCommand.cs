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
        Console.Out.WriteLine("Paused");
        Console.Out.Flush();
        var signalled = new TaskCompletionSource<int>();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; signalled.TrySetResult(1); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; signalled.TrySetResult(2); });
        int code = await signalled.Task;
        Console.Out.WriteLine($"exiting {code}");
        return code;
    }
}
