using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Kybernet.ApiServer.Tests;

/// <summary>
/// `kybernet server` as a process of its own (the binary built next to the tests), on 127.0.0.1 and a free port, with
/// everything it prints kept; started by pid and ended by that pid only.
/// </summary>
public sealed class ServerProcess : IDisposable
{
    private readonly List<string> _output = [];
    private readonly Process _process;

    private ServerProcess(Process process, Uri url)
    {
        _process = process;
        Url = url;
    }

    public Uri Url { get; }

    public int Pid => _process.Id;

    public Process Process => _process;

    /// <summary>What it printed so far (stdout and stderr), one line each.</summary>
    public IReadOnlyList<string> Output
    {
        get { lock (_output) return [.. _output]; }
    }

    /// <summary>Starts it over <paramref name="dataDirectory"/> and returns once it says it serves (bounded).</summary>
    public static async Task<ServerProcess> StartAsync(string dataDirectory, int port, params string[] extraArgs)
    {
        var binary = Path.Combine(AppContext.BaseDirectory, "kybernet");
        var psi = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "server", "--data-dir", dataDirectory, "--listen", $"127.0.0.1:{port}" }.Concat(extraArgs))
            psi.ArgumentList.Add(a);
        var serving = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = new ServerProcess(Process.Start(psi)!, new Uri($"https://127.0.0.1:{port}"));
        void Keep(string? line)
        {
            if (line is null)
                return;
            lock (server._output)
                server._output.Add(line);
            if (line.Contains("server: serving at", StringComparison.Ordinal))
                serving.TrySetResult();
        }
        server._process.OutputDataReceived += (_, e) => Keep(e.Data);
        server._process.ErrorDataReceived += (_, e) => Keep(e.Data);
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        var exited = server._process.WaitForExitAsync();
        if (await Task.WhenAny(serving.Task, exited, Task.Delay(TimeSpan.FromSeconds(60))) != serving.Task)
        {
            var said = string.Join('\n', server.Output);
            server.Dispose();
            throw new InvalidOperationException($"kybernet server did not start serving; it printed:\n{said}");
        }
        return server;
    }

    /// <summary>Waits (bounded) until a line it printed satisfies <paramref name="match"/>; returns that line.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (Output.FirstOrDefault(match) is { } line)
                return line;
            await Task.Delay(20);
        }
        throw new TimeoutException($"kybernet server never printed {what}; it printed:\n{string.Join('\n', Output)}");
    }

    public static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>SIGKILLs it if it still runs (by the pid we started, not reaped yet), then waits for it.</summary>
    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
        _process.Dispose();
    }
}
