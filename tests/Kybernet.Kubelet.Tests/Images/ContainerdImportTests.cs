using Kybernet.Kubelet.Images;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Kubelet.Tests.Images;

/// <summary>The built-in images as a real containerd takes them: imported through ctr, listed, and run.</summary>
public sealed class ContainerdImportTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("kyt-import-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task The_three_images_import_list_by_name_and_busybox_runs()
    {
        using var containerd = new TestContainerd();
        var builder = new ImageBuilder(Path.Combine(_directory, "cache"), NullLogger.Instance);
        var importer = new ImageImporter(NullLogger.Instance);
        var inputs = new ImageInputs(TestBinaries.Native, TestBinaries.Agnhost);

        foreach (var image in BuiltInImages.All)
            await importer.ImportAsync(containerd.Address, builder.Build(image(inputs)).Path);

        var names = await importer.ListAsync(containerd.Address);
        foreach (var name in new[] { BuiltInImages.Pause, BuiltInImages.Busybox, BuiltInImages.BusyboxLatest, BuiltInImages.Agnhost, BuiltInImages.AgnhostLatest })
            Assert.Contains(name, names);

        // Its own empty network namespace (no --net-host): nothing of the host's is reachable from it. A cgroup of its own
        // at the top, which runc removes with the container (ctr's default, /k8s.io/ID, leaves the k8s.io parents behind).
        var id = $"kyt{Environment.ProcessId:x}-{Guid.NewGuid():N}"[..24];
        var run = containerd.Ctr("run", "--rm", "--cgroup", "/" + id, BuiltInImages.Busybox, id, "echo", "hi");
        Assert.True(run.Succeeded, $"ctr run failed ({run.ExitCode}): {run.Stderr}");
        Assert.Equal("hi\n", run.Stdout);
    }

    [Fact]
    public async Task The_pause_image_runs_as_pid_1_and_stops_on_SIGTERM_with_exit_0()
    {
        using var containerd = new TestContainerd();
        var builder = new ImageBuilder(Path.Combine(_directory, "cache"), NullLogger.Instance);
        var importer = new ImageImporter(NullLogger.Instance);
        await importer.ImportAsync(containerd.Address, builder.Build(BuiltInImages.PauseImage(new ImageInputs(TestBinaries.Native, "/unused"))).Path);

        var id = $"kyt{Environment.ProcessId:x}-{Guid.NewGuid():N}"[..24];
        using var run = Kybernet.Linux.Processes.ChildProcess.Start(new(
            "ctr", "--address", containerd.Socket, "-n", "k8s.io", "run", "--rm", "--cgroup", "/" + id, BuiltInImages.Pause, id));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && !containerd.Ctr("tasks", "ls").Stdout.Contains("RUNNING"))
            Thread.Sleep(100);
        var kill = containerd.Ctr("tasks", "kill", "--signal", "SIGTERM", id);
        Assert.True(kill.Succeeded, kill.Stderr);
        var result = run.Wait(TimeSpan.FromSeconds(20));

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Shutting down, got signal: Terminated", result.Stdout + result.Stderr);
        Assert.DoesNotContain("Warning", result.Stdout + result.Stderr);
    }

    [Fact]
    public async Task A_broken_archive_fails_with_ctrs_message()
    {
        using var containerd = new TestContainerd();
        var broken = Path.Combine(_directory, "broken.tar");
        await File.WriteAllTextAsync(broken, "not a tar");

        var error = await Assert.ThrowsAsync<ImageImportException>(() => new ImageImporter(NullLogger.Instance).ImportAsync(containerd.Address, broken));
        Assert.Contains("ctr exit", error.Message);
        Assert.Contains(broken, error.Message);
    }
}
