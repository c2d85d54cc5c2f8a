using Kybernet.Linux.Namespaces;
using Kybernet.Linux.Processes;

namespace Kybernet.Kubelet.Tests.Images;

/// <summary>
/// A containerd of the test's own: its root, state and socket in a temp directory, running in a network namespace of
/// the test's (entered with setns only, never `ip netns exec`, which would hide the cgroup mounts from runc). The CRI
/// plugin is off: image import and `ctr run` need only the core. Stopped with SIGTERM (by pid), directory removed.
/// </summary>
internal sealed class TestContainerd : IDisposable
{
    private static int _counter;
    private readonly ChildProcess _containerd;
    private readonly NetworkNamespace _namespace;

    public TestContainerd()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("kyt-containerd-").FullName;
        NamespaceName = $"kyt{Environment.ProcessId:x}-ctrd{Interlocked.Increment(ref _counter)}";
        Socket = Path.Combine(Directory, "containerd.sock");
        var config = Path.Combine(Directory, "config.toml");
        File.WriteAllText(config, $"""
            version = 2
            root = "{Directory}/root"
            state = "{Directory}/state"
            disabled_plugins = ["io.containerd.grpc.v1.cri"]
            [grpc]
              address = "{Socket}"
            [ttrpc]
              address = "{Socket}.ttrpc"
            """);
        _namespace = NetworkNamespace.Create(NamespaceName);
        try
        {
            _containerd = ChildProcess.Start(
                new ChildProcessOptions("containerd", "--config", config)
                {
                    Stdout = ChildStdio.AppendTo(LogFile),
                    Stderr = ChildStdio.AppendTo(LogFile),
                    Grouping = ChildGrouping.OwnProcessGroup,
                },
                inside: _namespace);
            WaitUntilServing();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Directory { get; }
    public string NamespaceName { get; }
    public string Socket { get; }
    public string Address => $"unix://{Socket}";
    private string LogFile => Path.Combine(Directory, "containerd.log");

    /// <summary>Runs ctr against this containerd in the k8s.io namespace.</summary>
    public ChildProcessResult Ctr(params string[] arguments) =>
        ChildProcess.Run(new ChildProcessOptions("ctr", ["--address", Socket, "-n", "k8s.io", .. arguments]), TimeSpan.FromSeconds(60));

    private void WaitUntilServing()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (File.Exists(Socket) && ChildProcess.Run(new ChildProcessOptions("ctr", "--address", Socket, "version"), TimeSpan.FromSeconds(10)).Succeeded)
                return;
            Thread.Sleep(100);
        }
        throw new TimeoutException($"containerd did not serve {Socket} within 30 s; its log:\n{File.ReadAllText(LogFile)}");
    }

    public void Dispose()
    {
        if (_containerd is not null)
        {
            Signals.Send(_containerd.Pid, Signals.SIGTERM);
            _containerd.Wait(TimeSpan.FromSeconds(15));
            _containerd.Dispose(); // SIGKILL if it did not stop
        }
        _namespace.Dispose();
        NetworkNamespace.Delete(NamespaceName);
        UnmountUnder(Directory);
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    /// <summary>A snapshot or rootfs mount left under the directory would make deleting it fail (and leak the mount).</summary>
    private static void UnmountUnder(string directory)
    {
        var mounts = File.ReadLines("/proc/self/mountinfo")
            .Select(line => line.Split(' ')[4])
            .Where(point => point.StartsWith(directory + "/", StringComparison.Ordinal))
            .OrderByDescending(point => point.Length);
        foreach (var point in mounts)
            ChildProcess.Run(new ChildProcessOptions("umount", "-l", point), TimeSpan.FromSeconds(10));
    }
}
