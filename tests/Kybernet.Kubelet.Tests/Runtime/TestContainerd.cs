using Kybernet.Kubelet.Runtime;
using Kybernet.Linux.Namespaces;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Kybernet.Kubelet.Tests.Runtime;

/// <summary>
/// A real containerd in a throwaway network namespace ("kyt…") with every directory in a temp dir of its own and a
/// cgroup parent of its own; stopped with everything removed, the namespace deleted and the temp dir removed on
/// dispose, even when the test failed.
/// </summary>
public sealed class TestContainerd : IAsyncDisposable
{
    private static int _counter;

    private TestContainerd(string netns, string dir, ContainerdOptions options, FakeLogger log)
    {
        NetworkNamespaceName = netns;
        Directory_ = dir;
        Options = options;
        Log = log;
    }

    public string NetworkNamespaceName { get; }

    /// <summary>The temp dir holding root, state, socket and CNI dirs.</summary>
    public string Directory_ { get; }

    public ContainerdOptions Options { get; }

    public FakeLogger Log { get; }

    public ContainerdProcess? Process { get; private set; }

    public ContainerdProcess Running => Process ?? throw new InvalidOperationException("not started");

    /// <summary>Errors containerd's management logged (the cleanup's failures among them).</summary>
    public IReadOnlyList<string> LoggedErrors =>
        Log.Collector.GetSnapshot().Where(r => r.Level >= LogLevel.Error).Select(r => $"{r.Message} {r.Exception?.Message}").ToList();

    public static async Task<TestContainerd> StartAsync(string ociRuntime = "runc", string? cniBinDir = null, string sandboxImage = "docker.io/kybernet/pause:test")
    {
        var tag = $"{Environment.ProcessId:x}c{Interlocked.Increment(ref _counter)}";
        var netns = $"kyt{tag}";
        var dir = Path.Combine(Path.GetTempPath(), $"kyt-containerd-{tag}");
        Directory.CreateDirectory(dir);
        var options = new ContainerdOptions
        {
            Root = Path.Combine(dir, "root"),
            State = Path.Combine(dir, "state"),
            Socket = Path.Combine(dir, "containerd.sock"),
            SandboxImage = sandboxImage,
            CniBinDir = cniBinDir ?? Path.Combine(dir, "cni-bin"),
            CniConfDir = Path.Combine(dir, "cni-conf"),
            CgroupParent = $"/kyt-{tag}",
            OciRuntime = ociRuntime,
        };
        using (NetworkNamespace.Create(netns)) { }
        var test = new TestContainerd(netns, dir, options, new FakeLogger());
        try
        {
            test.Process = await ContainerdProcess.StartAsync(options, netns, test.Log);
            return test;
        }
        catch
        {
            await test.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (Process is not null)
                await Process.StopAsync(ContainerdStop.Everything);
            else
                ContainerdProcess.CleanUp(Options, Log);
        }
        finally
        {
            NetworkNamespace.Delete(NetworkNamespaceName);
            if (MountTable.Under(Directory_).Count == 0)
                Directory.Delete(Directory_, recursive: true);
        }
    }
}
