using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kybernet.Native.Pause;

/// <summary>
/// The pod sandbox's process (upstream's pause.c): it holds the pod's namespaces open, reaps the zombies that get
/// reparented to it as the pid namespace's init, and exits 0 on SIGTERM or SIGINT. It allocates nothing after start-up,
/// starts no thread, and touches no Console, so its resident set stays what the runtime itself needs.
/// </summary>
internal static unsafe class PauseProgram
{
    public const string Name = "pause";

    public static int Run()
    {
        if (LibC.getpid() != 1)
            // Not an error: upstream prints the same warning, as pause is also used outside infra containers.
            WriteStderr("Warning: pause should be the first process\n"u8);

        // The handlers are managed code ([UnmanagedCallersOnly]); the runtime only lets them run on a thread that is in
        // native code. So the main thread blocks these signals and takes them only inside sigsuspend(2): pause(2) with
        // the signals unblocked for just the duration of the wait, which is what pause(2) would otherwise race against.
        var handled = stackalloc byte[LibC.SigSetSize];
        LibC.sigemptyset(handled);
        LibC.sigaddset(handled, LibC.SIGINT);
        LibC.sigaddset(handled, LibC.SIGTERM);
        LibC.sigaddset(handled, LibC.SIGCHLD);
        if (LibC.pthread_sigmask(LibC.SIG_BLOCK, handled, null) != 0)
            return Fail("pthread_sigmask", 1);

        if (!Install(LibC.SIGINT, &OnShutdownSignal, 0))
            return Fail("sigaction(SIGINT)", 1);
        if (!Install(LibC.SIGTERM, &OnShutdownSignal, 0))
            return Fail("sigaction(SIGTERM)", 2);
        // SA_NOCLDSTOP: a stopped child is no zombie, nothing to reap.
        if (!Install(LibC.SIGCHLD, &OnChildExited, LibC.SA_NOCLDSTOP | LibC.SA_RESTART))
            return Fail("sigaction(SIGCHLD)", 3);

        // Children that died before the handler was there (a shell that exec'd pause had some) sent a SIGCHLD that was
        // discarded: reap them now, or they stay zombies until another child exits.
        ReapChildren();

        var waitMask = stackalloc byte[LibC.SigSetSize];
        LibC.sigemptyset(waitMask);
        while (true)
            LibC.sigsuspend(waitMask);
    }

    private static bool Install(int signal, delegate* unmanaged<int, void> handler, int flags)
    {
        var action = new LibC.SigAction { Handler = (nint)handler, Flags = flags };
        return LibC.sigaction(signal, &action, null) == 0;
    }

    [UnmanagedCallersOnly]
    private static void OnShutdownSignal(int signal)
    {
        // Upstream words it through psignal(3): "Shutting down, got signal: Terminated".
        WriteStderr("Shutting down, got signal: "u8);
        WriteStderr(signal == LibC.SIGINT ? "Interrupt\n"u8 : "Terminated\n"u8);
        LibC._exit(0);
    }

    [UnmanagedCallersOnly]
    private static void OnChildExited(int signal) => ReapChildren();

    private static void ReapChildren()
    {
        // Several children may exit before one SIGCHLD is delivered (signals do not queue): reap them all.
        while (LibC.waitpid(-1, null, LibC.WNOHANG) > 0)
        {
        }
    }

    private static int Fail(string call, int exitCode)
    {
        WriteStderr("pause: "u8);
        Span<byte> name = stackalloc byte[call.Length];
        for (int i = 0; i < call.Length; i++)
            name[i] = (byte)call[i];
        WriteStderr(name);
        WriteStderr(" failed\n"u8);
        return exitCode;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WriteStderr(ReadOnlySpan<byte> text)
    {
        fixed (byte* bytes = text)
            LibC.write(2, bytes, (nuint)text.Length);
    }
}
