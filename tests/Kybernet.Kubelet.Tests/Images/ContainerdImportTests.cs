using Kybernet.Kubelet.Images;
using Kybernet.Kubelet.Tests.Runtime;
using Kybernet.Linux.Processes;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Kubelet.Tests.Images;

/// <summary>
/// The built-in images as a real containerd takes them (the kubelet's own <see cref="Kybernet.Kubelet.Runtime.ContainerdProcess"/>,
/// in a test namespace): imported through ctr, listed, and run.
/// </summary>
public sealed class ContainerdImportTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("kyt-import-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task The_three_images_import_list_by_name_and_busybox_runs()
    {
        await using var containerd = await TestContainerd.StartAsync();
        var builder = new ImageBuilder(Path.Combine(_directory, "cache"), NullLogger.Instance);
        var importer = new ImageImporter(NullLogger.Instance);
        var inputs = new ImageInputs(TestBinaries.Native, TestBinaries.Agnhost);

        foreach (var image in BuiltInImages.All)
            await importer.ImportAsync(containerd.Running.Endpoint, builder.Build(image(inputs)).Path);

        var names = await importer.ListAsync(containerd.Running.Endpoint);
        foreach (var name in new[] { BuiltInImages.Pause, BuiltInImages.Busybox, BuiltInImages.BusyboxLatest, BuiltInImages.Agnhost, BuiltInImages.AgnhostLatest })
            Assert.Contains(name, names);

        // Its own empty network namespace (no --net-host): nothing of the host's is reachable from it. Its cgroup under the test
        // containerd's parent, which runc removes with the container (ctr's default, /k8s.io/ID, leaves k8s.io behind).
        var id = $"kyt{Environment.ProcessId:x}-{Guid.NewGuid():N}"[..24];
        var run = Ctr(containerd, "run", "--rm", "--cgroup", $"{containerd.Options.CgroupParent}/{id}", BuiltInImages.Busybox, id, "echo", "hi");
        Assert.True(run.Succeeded, $"ctr run failed ({run.ExitCode}): {run.Stderr}");
        Assert.Equal("hi\n", run.Stdout);
    }

    [Fact]
    public async Task The_pause_image_runs_as_pid_1_and_stops_on_SIGTERM_with_exit_0()
    {
        await using var containerd = await TestContainerd.StartAsync();
        var builder = new ImageBuilder(Path.Combine(_directory, "cache"), NullLogger.Instance);
        var importer = new ImageImporter(NullLogger.Instance);
        await importer.ImportAsync(containerd.Running.Endpoint, builder.Build(BuiltInImages.PauseImage(new ImageInputs(TestBinaries.Native, "/unused"))).Path);

        var id = $"kyt{Environment.ProcessId:x}-{Guid.NewGuid():N}"[..24];
        using var run = ChildProcess.Start(new(
            "ctr", "--address", containerd.Options.Socket, "-n", "k8s.io", "run", "--rm", "--cgroup", $"{containerd.Options.CgroupParent}/{id}", BuiltInImages.Pause, id));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && !Ctr(containerd, "tasks", "ls").Stdout.Contains("RUNNING"))
            Thread.Sleep(100);
        var kill = Ctr(containerd, "tasks", "kill", "--signal", "SIGTERM", id);
        Assert.True(kill.Succeeded, kill.Stderr);
        var result = run.Wait(TimeSpan.FromSeconds(20));

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Shutting down, got signal: Terminated", result.Stdout + result.Stderr);
        Assert.DoesNotContain("Warning", result.Stdout + result.Stderr);
    }

    [Fact]
    public async Task A_broken_archive_fails_with_ctrs_message()
    {
        await using var containerd = await TestContainerd.StartAsync();
        var broken = Path.Combine(_directory, "broken.tar");
        await File.WriteAllTextAsync(broken, "not a tar");

        var error = await Assert.ThrowsAsync<ImageImportException>(() => new ImageImporter(NullLogger.Instance).ImportAsync(containerd.Running.Endpoint, broken));
        Assert.Contains("ctr exit", error.Message);
        Assert.Contains(broken, error.Message);
    }

    /// <summary>Runs ctr against the test's containerd in the k8s.io namespace.</summary>
    private static ChildProcessResult Ctr(TestContainerd containerd, params string[] arguments) =>
        ChildProcess.Run(new ChildProcessOptions("ctr", ["--address", containerd.Options.Socket, "-n", ImageImporter.KubernetesNamespace, .. arguments]), TimeSpan.FromSeconds(60));
}
