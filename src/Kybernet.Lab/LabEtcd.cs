using System.Net.Sockets;
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

    /// <summary>DATA_DIR/etcd: everything the members write; `down` removes it.</summary>
    public string Directory { get; } = Path.Combine(dataDirectory, "etcd");

    public string DataDir(EtcdMember member) => Path.Combine(Directory, member.Name, "data");

    public string LogPath(EtcdMember member) => Path.Combine(Directory, member.Name, "etcd.log");

    /// <summary>Starts one member (see <see cref="LabProcesses"/>), its output appended to its log file.</summary>
    public EtcdMember Start(LabMachine controlPlane, EtcdMember member, IReadOnlyList<EtcdMember> cluster, string token)
    {
        if (!File.Exists(EtcdPath))
            throw new LabException($"{EtcdPath} is missing: apt-get install -y etcd-server etcd-client (scripts/prereqs.sh does)");
        System.IO.Directory.CreateDirectory(DataDir(member));
        string[] argv =
        [
            EtcdPath, "--name", member.Name, "--data-dir", DataDir(member),
            "--listen-client-urls", member.ClientUrl, "--advertise-client-urls", member.ClientUrl,
            "--listen-peer-urls", member.PeerUrl, "--initial-advertise-peer-urls", member.PeerUrl,
            "--initial-cluster", EtcdMember.InitialCluster(cluster), "--initial-cluster-state", "new",
            "--initial-cluster-token", token,
            // 3.4 still defaults to the deprecated capnslog logger and warns about it.
            "--logger", "zap", "--log-outputs", "stderr",
        ];
        return member with { Pid = LabProcesses.Start(controlPlane, argv, LogPath(member), IsEtcdOfThisLab) };
    }

    /// <summary>Waits (bounded) until every member answers /health from inside the control plane.</summary>
    public void WaitHealthy(LabMachine controlPlane, IReadOnlyList<EtcdMember> members)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        foreach (var member in members)
            LabProcesses.WaitUntilReady($"etcd {member.Name}", $"at {member.ClientUrl} not healthy after {StartTimeout.TotalSeconds} s",
                () => Healthy(controlPlane, member), () => IsRunning(member), LogPath(member), deadline, TimeSpan.FromMilliseconds(100));
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
    public bool IsRunning(EtcdMember member) => LabProcesses.IsOurs(member.Pid, argv => IsEtcdOfThisLab(argv) && LabProcesses.OptionValue(argv, "--data-dir") == DataDir(member));

    /// <summary>
    /// Stops the given members' processes and any other process running one of this lab's etcd data
    /// directories (an `up` interrupted before it saved a pid), then removes DATA_DIR/etcd. Safe to repeat.
    /// One at a time: stopped together, a leader waits for followers that are gone already to take
    /// over (seconds); stopped in turn, each takes ~30 ms.
    /// </summary>
    public void Stop(IEnumerable<EtcdMember> members)
    {
        var pids = members.Where(IsRunning).Select(m => m.Pid).Union(LabProcesses.Find(IsEtcdOfThisLab)).ToList();
        LabProcesses.Stop(pids, IsEtcdOfThisLab);
        if (System.IO.Directory.Exists(Directory))
            System.IO.Directory.Delete(Directory, recursive: true);
    }

    public string LogTail(EtcdMember member, int lines = 20) => LabProcesses.LogTail(LogPath(member), lines);

    /// <summary>etcd with `--data-dir DATA_DIR/etcd/...`.</summary>
    private bool IsEtcdOfThisLab(string[] argv) =>
        argv[0] == EtcdPath && LabProcesses.OptionValue(argv, "--data-dir") is { } dir && dir.StartsWith(Directory + "/", StringComparison.Ordinal);
}
