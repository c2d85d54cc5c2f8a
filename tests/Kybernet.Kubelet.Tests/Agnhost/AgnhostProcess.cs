using Kybernet.Linux.Namespaces;
using Kybernet.Linux.Processes;

namespace Kybernet.Kubelet.Tests.Agnhost;

/// <summary>
/// agnhost running as a child inside a test namespace (entered by setns for the spawn only), its output in a log
/// file of its own. Runs agnhost.dll through the dotnet host, or the published NativeAOT binary named by
/// KYBERNET_AGNHOST when that is set. Disposing kills it (by pid) and removes the log.
/// </summary>
public sealed class AgnhostProcess : IDisposable
{
    private readonly ChildProcess _child;
    private readonly string _logPath;

    private AgnhostProcess(ChildProcess child, string logPath)
    {
        _child = child;
        _logPath = logPath;
    }

    public int Pid => _child.Pid;

    public string Log => File.Exists(_logPath) ? File.ReadAllText(_logPath) : "";

    public static AgnhostProcess Start(NetworkNamespace inside, IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var logPath = Path.Combine(Path.GetTempPath(), $"kyt-agnhost-{Guid.NewGuid():N}.log");
        var variables = ChildProcessOptions.CurrentEnvironment();
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            variables[key] = value;
        var (program, argv) = Command(args);
        var child = ChildProcess.Start(new ChildProcessOptions(program, argv)
        {
            Environment = variables,
            Stdout = ChildStdio.AppendTo(logPath),
            Stderr = ChildStdio.AppendTo(logPath),
        }, inside);
        return new AgnhostProcess(child, logPath);
    }

    /// <summary>Runs agnhost to its end (bounded) and returns its exit code and output.</summary>
    public static ChildProcessResult Run(NetworkNamespace inside, params string[] args)
    {
        var (program, argv) = Command(args);
        return ChildProcess.Run(new ChildProcessOptions(program, argv), TimeSpan.FromSeconds(20), inside);
    }

    private static (string Program, List<string> Arguments) Command(IReadOnlyList<string> args)
    {
        if (Environment.GetEnvironmentVariable("KYBERNET_AGNHOST") is { Length: > 0 } native)
            return (native, args.ToList());
        var dll = Path.Combine(AppContext.BaseDirectory, "agnhost.dll");
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path ? path : "dotnet";
        return (host, [dll, .. args]);
    }

    /// <summary>Polls (bounded) until <paramref name="ready"/>; fails with the log if agnhost exits or the bound passes.</summary>
    public void WaitUntil(Func<bool> ready, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!ready())
        {
            if (!ProcFs.IsAlive(Pid))
                throw new InvalidOperationException($"agnhost exited before {what}; its log:\n{Log}");
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"agnhost not {what} after 15 s; its log:\n{Log}");
            Thread.Sleep(50);
        }
    }

    public void Signal(int signal) => Signals.Send(Pid, signal);

    /// <summary>Waits (bounded) for the exit and returns its code.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        var result = _child.Wait(timeout);
        Assert.False(result.TimedOut, $"agnhost still running after {timeout.TotalSeconds} s; its log:\n{Log}");
        return result.ExitCode;
    }

    public void Dispose()
    {
        _child.Dispose();
        try
        {
            File.Delete(_logPath);
        }
        catch (IOException)
        {
            // Left in the temp directory; nothing depends on it.
        }
    }
}
