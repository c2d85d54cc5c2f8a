using System.Diagnostics;
using System.Net.Http;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Kybernet.Linux.Namespaces;

namespace Kybernet.Lab;

/// <summary>
/// The lab's etcd processes (Debian's etcd-server) inside the control-plane machine. Every member
/// keeps its data and log in DATA_DIR/etcd/NAME/. A process counts as ours only if it is alive and
/// its command line names that member's data directory, so a recycled pid is never signalled.
/// </summary>
public sealed class LabEtcd(string dataDirectory)
{
    public const string EtcdPath = "/usr/bin/etcd";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    /// <summary>DATA_DIR/etcd: everything the members write; `down` removes it.</summary>
    public string Directory { get; } = Path.Combine(dataDirectory, "etcd");

    public string DataDir(EtcdMember member) => Path.Combine(Directory, member.Name, "data");

    public string LogPath(EtcdMember member) => Path.Combine(Directory, member.Name, "etcd.log");

    /// <summary>
    /// Starts one member in its own session (so it outlives the command that started it and a
    /// terminal's Ctrl-C), stdin from /dev/null and its output appended to its log file.
    /// </summary>
    public EtcdMember Start(LabMachine controlPlane, EtcdMember member, IReadOnlyList<EtcdMember> cluster, string token)
    {
        if (!File.Exists(EtcdPath))
            throw new LabException($"{EtcdPath} is missing: apt-get install -y etcd-server etcd-client (scripts/prereqs.sh does)");
        System.IO.Directory.CreateDirectory(DataDir(member));
        // setsid execs in place (our child is no group leader) and so does sh: the pid is etcd's.
        var start = new ProcessStartInfo("/usr/bin/setsid") { UseShellExecute = false };
        foreach (var arg in new[]
        {
            "/bin/sh", "-c", "log=$1; shift; exec \"$@\" </dev/null >>\"$log\" 2>&1", "sh", LogPath(member),
            EtcdPath, "--name", member.Name, "--data-dir", DataDir(member),
            "--listen-client-urls", member.ClientUrl, "--advertise-client-urls", member.ClientUrl,
            "--listen-peer-urls", member.PeerUrl, "--initial-advertise-peer-urls", member.PeerUrl,
            "--initial-cluster", EtcdMember.InitialCluster(cluster), "--initial-cluster-state", "new",
            "--initial-cluster-token", token,
            // 3.4 still defaults to the deprecated capnslog logger and warns about it.
            "--logger", "zap", "--log-outputs", "stderr",
        })
            start.ArgumentList.Add(arg);
        using var process = Lab.Start(controlPlane, start);
        var started = member with { Pid = process.Id };
        // Until setsid and sh have exec'd, the pid's command line is theirs: wait for etcd's, so
        // everything after (health, stop) can tell this process by its command line.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!IsRunning(started) && IsAlive(started.Pid) && DateTime.UtcNow < deadline)
            Thread.Sleep(5);
        return started;
    }

    /// <summary>Waits (bounded) until every member answers /health from inside the control plane.</summary>
    public void WaitHealthy(LabMachine controlPlane, IReadOnlyList<EtcdMember> members)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        foreach (var member in members)
        {
            while (!Healthy(controlPlane, member))
            {
                if (!IsRunning(member))
                    throw new LabException($"etcd {member.Name} exited while starting; its log:\n{LogTail(member)}");
                if (DateTime.UtcNow > deadline)
                    throw new LabException($"etcd {member.Name} at {member.ClientUrl} not healthy after {StartTimeout.TotalSeconds} s; its log:\n{LogTail(member)}");
                Thread.Sleep(100);
            }
        }
    }

    /// <summary>True if the member's /health says so, asked over a socket opened in the control plane's namespace.</summary>
    public static bool Healthy(LabMachine controlPlane, EtcdMember member)
    {
        if (!NetworkNamespace.Exists(controlPlane.Namespace))
            return false;
        using var ns = NetworkNamespace.Open(controlPlane.Namespace);
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancel) =>
            {
                var socket = ns.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, cancel);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(2) };
        try
        {
            // /health is true only once the member has a leader and serves linearizable reads.
            return http.GetStringAsync($"{member.ClientUrl}/health").GetAwaiter().GetResult()
                .Contains("\"health\":\"true\"", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>The member's recorded pid is alive (not a zombie) and is this member's etcd.</summary>
    public bool IsRunning(EtcdMember member) => member.Pid > 0 && IsOurs(member.Pid);

    /// <summary>
    /// Stops the given members' processes and any other process running one of this lab's etcd data
    /// directories (an `up` interrupted before it saved a pid), then removes DATA_DIR/etcd. Safe to repeat.
    /// One at a time: SIGTERM, SIGKILL after a bounded wait. Stopped together, a leader waits for
    /// followers that are gone already to take over (seconds); stopped in turn, each takes ~30 ms.
    /// </summary>
    public void Stop(IEnumerable<EtcdMember> members)
    {
        var pids = members.Where(IsRunning).Select(m => m.Pid).Union(FindOurs()).ToList();
        foreach (var pid in pids)
        {
            _ = kill(pid, SIGTERM);
            if (!WaitGone(pid, StopTimeout))
            {
                _ = kill(pid, SIGKILL);
                if (!WaitGone(pid, StopTimeout))
                    throw new LabException($"etcd process {pid} did not exit after SIGKILL");
            }
        }
        if (System.IO.Directory.Exists(Directory))
            System.IO.Directory.Delete(Directory, recursive: true);
    }

    private bool WaitGone(int pid, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (IsOurs(pid))
        {
            if (DateTime.UtcNow > deadline)
                return false;
            Thread.Sleep(10);
        }
        return true;
    }

    public string LogTail(EtcdMember member, int lines = 20)
    {
        try { return string.Join('\n', File.ReadLines(LogPath(member)).TakeLast(lines)); }
        catch (IOException) { return "(no log)"; }
    }

    /// <summary>Live processes whose command line has `--data-dir DATA_DIR/etcd/...`.</summary>
    private IEnumerable<int> FindOurs() =>
        System.IO.Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && IsOurs(pid))
            .ToList();

    /// <summary>The pid exists and is not a zombie (a killed child its parent has not reaped yet).</summary>
    private static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return !stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private bool IsOurs(int pid)
    {
        if (!IsAlive(pid))
            return false;
        try
        {
            var args = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            int i = Array.IndexOf(args, "--data-dir");
            return args.Length > 0 && args[0] == EtcdPath && i >= 0 && i + 1 < args.Length
                && args[i + 1].StartsWith(Directory + "/", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private const int SIGTERM = 15;
    private const int SIGKILL = 9;

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
