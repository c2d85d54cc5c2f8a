using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Kybernet.Bench;

/// <summary>A throwaway single-member etcd (Debian's etcd-server) on free 127.0.0.1 ports, stopped by pid.</summary>
public sealed class EtcdProcess : IDisposable
{
    private readonly Process _process;
    private readonly string _dataDir;

    public EtcdProcess()
    {
        _dataDir = Directory.CreateTempSubdirectory("kyb-bench-etcd-").FullName;
        int client = FreePort(), peer = FreePort();
        Endpoint = $"http://127.0.0.1:{client}";
        var psi = new ProcessStartInfo("/usr/bin/etcd") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[]
        {
            "--name", "bench", "--data-dir", _dataDir,
            "--listen-client-urls", Endpoint, "--advertise-client-urls", Endpoint,
            "--listen-peer-urls", $"http://127.0.0.1:{peer}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{peer}",
            "--initial-cluster", $"bench=http://127.0.0.1:{peer}", "--logger", "zap", "--log-outputs", "stderr", "--log-level", "error",
        })
            psi.ArgumentList.Add(a);
        _process = Process.Start(psi)!;
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                if (http.GetStringAsync($"{Endpoint}/health").Result.Contains("true"))
                    break;
            }
            catch (AggregateException) when (DateTime.UtcNow < deadline && !_process.HasExited) { }
            if (DateTime.UtcNow >= deadline || _process.HasExited)
                throw new InvalidOperationException("etcd did not start");
            Thread.Sleep(100);
        }
    }

    public string Endpoint { get; }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
        _process.Dispose();
        Directory.Delete(_dataDir, recursive: true);
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
