using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;
using Kybernet.Store.Etcd;

namespace Kybernet.Store.Tests;

/// <summary>
/// One real etcd (Debian's etcd-server, 3.4) on 127.0.0.1 with free ports and a temp data dir, for a
/// test class (<c>IClassFixture&lt;EtcdServer&gt;</c>). Disposing stops only the process it started
/// and deletes the data dir, also when the tests failed.
/// </summary>
public sealed class EtcdServer : IAsyncLifetime
{
    private EtcdMember? _member;

    public EtcdMember Member => _member ?? throw new InvalidOperationException("etcd not started");
    public string Endpoints => Member.ClientUrl;

    public async Task InitializeAsync() => _member = (await EtcdMember.StartClusterAsync(1))[0];

    /// <summary>A store over this etcd under a key prefix of its own, so tests do not see each other's keys.</summary>
    public EtcdStore NewStore(out string prefix)
    {
        prefix = $"/kyt-{Guid.NewGuid():N}"[..13];
        return new EtcdStore(Endpoints, prefix);
    }

    public Task<string> EtcdctlAsync(params string[] args) => EtcdMember.EtcdctlAsync(Endpoints, args);

    public Task DisposeAsync()
    {
        _member?.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>Three etcd members on 127.0.0.1 forming one cluster, for tests that kill one of them.</summary>
public sealed class EtcdCluster : IAsyncLifetime
{
    private IReadOnlyList<EtcdMember> _members = [];

    public IReadOnlyList<EtcdMember> Members => _members;
    public string Endpoints => string.Join(',', _members.Select(m => m.ClientUrl));

    public async Task InitializeAsync() => _members = await EtcdMember.StartClusterAsync(3);

    public Task<string> EtcdctlAsync(params string[] args) => EtcdMember.EtcdctlAsync(Endpoints, args);

    /// <summary>The member that is raft leader now, as the members report it.</summary>
    public async Task<EtcdMember> LeaderAsync()
    {
        var json = await EtcdctlAsync("endpoint", "status", "--write-out=json");
        foreach (var status in JsonDocument.Parse(json).RootElement.EnumerateArray())
        {
            var s = status.GetProperty("Status");
            if (s.GetProperty("leader").GetUInt64() == s.GetProperty("header").GetProperty("member_id").GetUInt64())
            {
                var endpoint = status.GetProperty("Endpoint").GetString();
                return _members.Single(m => m.ClientUrl == endpoint);
            }
        }
        throw new InvalidOperationException($"no etcd member reports itself as leader: {json}");
    }

    public Task DisposeAsync()
    {
        foreach (var member in _members)
        {
            member.Dispose();
        }
        return Task.CompletedTask;
    }
}

/// <summary>One etcd process we started, known by its pid; never anyone else's.</summary>
public sealed class EtcdMember : IDisposable
{
    public const string EtcdPath = "/usr/bin/etcd";
    public const string EtcdctlPath = "/usr/bin/etcdctl";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    // Last resort if a test host exits without disposing its fixtures: stop what we started.
    private static readonly ConcurrentDictionary<int, Process> Running = new();

    static EtcdMember() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var process in Running.Values)
        {
            try { process.Kill(); } catch (InvalidOperationException) { }
        }
    };

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();

    private EtcdMember(string name, string dataDir, string clientUrl, string peerUrl, Process process)
    {
        Name = name;
        DataDir = dataDir;
        ClientUrl = clientUrl;
        PeerUrl = peerUrl;
        _process = process;
    }

    public string Name { get; }
    public string DataDir { get; }
    public string ClientUrl { get; }
    public string PeerUrl { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <summary>The last lines etcd printed, for failure messages.</summary>
    public string LogTail => string.Join('\n', _log);

    /// <summary>
    /// Starts <paramref name="size"/> members forming one new cluster and waits (bounded) until each
    /// answers /health. Ports are found free by binding port 0; if another process grabs one before
    /// etcd does, etcd exits and we try again with new ports.
    /// </summary>
    public static async Task<IReadOnlyList<EtcdMember>> StartClusterAsync(int size)
    {
        if (!File.Exists(EtcdPath))
        {
            throw new InvalidOperationException($"{EtcdPath} is missing: apt-get install -y etcd-server etcd-client (scripts/prereqs.sh does)");
        }
        Exception? last = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var members = new List<EtcdMember>();
            try
            {
                var ports = FreePorts(2 * size);
                var token = $"kyt-{Guid.NewGuid():N}";
                var names = Enumerable.Range(0, size).Select(i => $"kyt-etcd{i}").ToArray();
                var initialCluster = string.Join(',', names.Select((n, i) => $"{n}=http://127.0.0.1:{ports[2 * i + 1]}"));
                for (var i = 0; i < size; i++)
                {
                    members.Add(Start(names[i], $"http://127.0.0.1:{ports[2 * i]}", $"http://127.0.0.1:{ports[2 * i + 1]}", initialCluster, token));
                }
                foreach (var member in members)
                {
                    await member.WaitHealthyAsync();
                }
                return members;
            }
            catch (Exception e)
            {
                last = e;
                foreach (var member in members)
                {
                    member.Dispose();
                }
            }
        }
        throw new InvalidOperationException($"could not start a {size}-member etcd", last);
    }

    private static EtcdMember Start(string name, string clientUrl, string peerUrl, string initialCluster, string token)
    {
        var dataDir = Directory.CreateTempSubdirectory("kyt-etcd-").FullName;
        var start = new ProcessStartInfo(EtcdPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "--name", name, "--data-dir", Path.Combine(dataDir, "data"),
            "--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl,
            "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
            "--initial-cluster", initialCluster, "--initial-cluster-state", "new", "--initial-cluster-token", token,
            // Faster elections than the 100/1000 ms defaults: a killed leader is replaced within a second,
            // and the shortest lease etcd grants drops to 1 s (it is 3/2 election timeout, rounded up).
            "--heartbeat-interval", "50", "--election-timeout", "500",
            // 3.4 still defaults to the deprecated capnslog logger and warns about it.
            "--logger", "zap", "--log-outputs", "stderr", "--log-level", "warn",
        })
        {
            start.ArgumentList.Add(arg);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {EtcdPath}");
        Running[process.Id] = process;
        var member = new EtcdMember(name, dataDir, clientUrl, peerUrl, process);
        process.OutputDataReceived += (_, e) => member.Remember(e.Data);
        process.ErrorDataReceived += (_, e) => member.Remember(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return member;
    }

    private void Remember(string? line)
    {
        if (line is null) return;
        _log.Enqueue(line);
        while (_log.Count > 40 && _log.TryDequeue(out _)) { }
    }

    private async Task WaitHealthyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"etcd {Name} exited with {_process.ExitCode} while starting:\n{LogTail}");
            }
            try
            {
                // /health says true only once the member has a leader and serves linearizable reads.
                var body = await http.GetStringAsync($"{ClientUrl}/health");
                if (body.Contains("\"health\":\"true\"", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException($"etcd {Name} at {ClientUrl} not healthy after {StartTimeout.TotalSeconds} s:\n{LogTail}");
    }

    /// <summary>Ports the kernel says are free now (all bound at once, so they differ).</summary>
    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }

    /// <summary>Kills the member at once (SIGKILL), as a crash would; its data dir stays until Dispose.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
        Running.TryRemove(_process.Id, out _);
    }

    /// <summary>SIGTERM, then SIGKILL if it has not exited in time; then removes its data dir.</summary>
    public void Dispose()
    {
        try
        {
            // HasExited first: once our child is reaped its pid may belong to someone else.
            if (!_process.HasExited)
            {
                _ = kill(_process.Id, SIGTERM);
                if (!_process.WaitForExit(StopTimeout))
                {
                    _process.Kill();
                    _process.WaitForExit();
                }
            }
        }
        finally
        {
            Running.TryRemove(_process.Id, out _);
            _process.Dispose();
            try { Directory.Delete(DataDir, recursive: true); } catch (DirectoryNotFoundException) { }
        }
    }

    /// <summary>Runs etcdctl (v3 API) against <paramref name="endpoints"/>; its stdout, or an exception with its stderr.</summary>
    public static async Task<string> EtcdctlAsync(string endpoints, params string[] args)
    {
        var start = new ProcessStartInfo(EtcdctlPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            Environment = { ["ETCDCTL_API"] = "3" },
        };
        start.ArgumentList.Add($"--endpoints={endpoints}");
        start.ArgumentList.Add("--command-timeout=10s");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {EtcdctlPath}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"etcdctl {string.Join(' ', args)} did not finish in 30 s");
        }
        return process.ExitCode == 0
            ? await stdout
            : throw new InvalidOperationException($"etcdctl {string.Join(' ', args)} exited with {process.ExitCode}: {await stderr}");
    }

    private const int SIGTERM = 15;

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
