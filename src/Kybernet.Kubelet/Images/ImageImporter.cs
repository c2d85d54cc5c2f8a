using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Kybernet.Kubelet.Images;

/// <summary>
/// Loads an image archive into a containerd, in the k8s.io namespace where its CRI plugin looks for images. It runs
/// `ctr images import`: ctr ships with Debian's containerd package and is the runtime's own loader, so whatever
/// containerd accepts works, OCI image layouts (ours, skopeo's) and docker archives (`docker save`) alike, and the
/// layers are unpacked into the default snapshotter as CRI expects.
/// </summary>
public sealed class ImageImporter(ILogger logger, string ctr = "ctr")
{
    /// <summary>The containerd namespace Kubernetes' CRI plugin keeps its images and containers in.</summary>
    public const string KubernetesNamespace = "k8s.io";

    /// <summary>Imports <paramref name="archive"/> through the containerd at <paramref name="address"/> (unix:///PATH or PATH).</summary>
    public async Task ImportAsync(string address, string archive, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(archive))
            throw new FileNotFoundException($"image archive {archive} does not exist", archive);
        var socket = SocketPath(address);
        var (exitCode, stdout, stderr) = await RunCtrAsync(cancellationToken, "--address", socket, "-n", KubernetesNamespace,
            "images", "import", "--all-platforms", archive);
        if (exitCode != 0)
        {
            var message = $"import of {archive} into containerd at {socket} failed (ctr exit {exitCode}): {(stderr.Trim().Length > 0 ? stderr.Trim() : stdout.Trim())}";
            logger.LogError("image {Message}", message);
            throw new ImageImportException(message);
        }
        logger.LogInformation("imported {Archive} into containerd at {Socket}: {Output}", archive, socket, stdout.Trim());
    }

    /// <summary>The image names containerd has in the k8s.io namespace (`ctr images ls -q`).</summary>
    public async Task<IReadOnlyList<string>> ListAsync(string address, CancellationToken cancellationToken = default)
    {
        var socket = SocketPath(address);
        var (exitCode, stdout, stderr) = await RunCtrAsync(cancellationToken, "--address", socket, "-n", KubernetesNamespace, "images", "ls", "-q");
        if (exitCode != 0)
            throw new ImageImportException($"listing images of containerd at {socket} failed (ctr exit {exitCode}): {stderr.Trim()}");
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>ctr takes a socket path; CRI endpoints are written unix:///PATH.</summary>
    public static string SocketPath(string address) =>
        address.StartsWith("unix://", StringComparison.Ordinal) ? address["unix://".Length..] : address;

    private async Task<(int ExitCode, string Stdout, string Stderr)> RunCtrAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        var start = new ProcessStartInfo(ctr, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new ImageImportException($"cannot start {ctr}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            logger.LogError(e, "cannot run {Ctr} (it comes with the containerd package)", ctr);
            throw new ImageImportException($"cannot run {ctr} (it comes with the containerd package): {e.Message}");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            try
            {
                await process.WaitForExitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
                throw;
            }
            return (process.ExitCode, await stdout, await stderr);
        }
    }
}
