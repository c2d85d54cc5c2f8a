using System.Diagnostics;

namespace Kybernet.Kubelet.Images;

/// <summary>
/// The images Kybernet builds from local files, since there is no registry to pull from: the pod sandbox (our pause),
/// busybox (Debian's static build with its applets) and agnhost (our test server). One place that says what each holds.
/// </summary>
public static class BuiltInImages
{
    public const string Pause = "docker.io/kybernet/pause:1.0";
    public const string Busybox = "docker.io/library/busybox:1.35";
    public const string BusyboxLatest = "docker.io/library/busybox:latest";
    public const string Agnhost = "docker.io/kybernet/agnhost:1.0";
    public const string AgnhostLatest = "docker.io/kybernet/agnhost:latest";

    public const string PauseFile = "pause.tar";
    public const string BusyboxFile = "busybox.tar";
    public const string AgnhostFile = "agnhost.tar";

    /// <summary>The three images, in the order they are built.</summary>
    public static IReadOnlyList<Func<ImageInputs, ImageDefinition>> All { get; } = [PauseImage, BusyboxImage, AgnhostImage];

    /// <summary>
    /// The multi-call binary as /pause (argv[0] "pause" selects the program) and the glibc pieces it loads: the sandbox
    /// runs nothing else. The entrypoint is what containerd's CRI runs for every pod sandbox.
    /// </summary>
    public static ImageDefinition PauseImage(ImageInputs inputs) => new(
        PauseFile,
        [Pause],
        [LayerEntry.FileFrom("/pause", Existing(inputs.NativeBinary, "the NativeAOT multi-call binary (dotnet publish src/Kybernet.Native)")),
            .. Glibc(inputs.NativeBinary)],
        new ImageConfig { Entrypoint = ["/pause"] });

    /// <summary>
    /// Debian's static busybox as /bin/busybox, one symlink per applet where busybox itself would install it (sh, wget,
    /// nc, httpd, nslookup, ip...), /tmp, and the root and nobody accounts that `id`, `su` and httpd's -u look up.
    /// Cmd sh, as Docker's busybox.
    /// </summary>
    public static ImageDefinition BusyboxImage(ImageInputs inputs)
    {
        var busybox = Existing(inputs.Busybox, "Debian's busybox-static (apt-get install busybox-static)");
        var applets = Applets(busybox)
            .Where(path => path != "/bin/busybox")
            .Select(path => LayerEntry.Symlink(path, "/bin/busybox"));
        return new(
            BusyboxFile,
            [Busybox, BusyboxLatest],
            [LayerEntry.FileFrom("/bin/busybox", busybox),
                .. applets,
                LayerEntry.Directory("/tmp", LayerEntry.StickyWorldWritable),
                LayerEntry.Directory("/root", (UnixFileMode)0b111_000_000),
                LayerEntry.Directory("/home"),
                LayerEntry.FileWith("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n"),
                LayerEntry.FileWith("/etc/group", "root:x:0:\nnobody:x:65534:\n")],
            new ImageConfig { Cmd = ["sh"] });
    }

    /// <summary>Our agnhost (NativeAOT, so only glibc beside it) as /agnhost, the entrypoint, as upstream's image has it.</summary>
    public static ImageDefinition AgnhostImage(ImageInputs inputs) => new(
        AgnhostFile,
        [Agnhost, AgnhostLatest],
        [LayerEntry.FileFrom("/agnhost", Existing(inputs.AgnhostBinary, "the agnhost NativeAOT binary (dotnet publish src/Kybernet.Agnhost)")),
            LayerEntry.Directory("/tmp", LayerEntry.StickyWorldWritable),
            .. Glibc(inputs.AgnhostBinary)],
        new ImageConfig { Entrypoint = ["/agnhost"] });

    private static IEnumerable<LayerEntry> Glibc(string program) =>
        SharedLibraries.Of(program).Select(library => LayerEntry.FileFrom(library.ImagePath, library.SourceFile));

    /// <summary>Where busybox installs its applets ("/usr/bin/wget"), from `busybox --list-full`.</summary>
    private static IEnumerable<string> Applets(string busybox)
    {
        var start = new ProcessStartInfo(busybox, ["--list-full"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw new IOException($"cannot run {busybox} --list-full");
        var stderrTask = process.StandardError.ReadToEndAsync();
        var list = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new IOException($"{busybox} --list-full failed (exit {process.ExitCode}): {stderrTask.GetAwaiter().GetResult().Trim()}");
        return list.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(path => "/" + path).ToList();
    }

    private static string Existing(string path, string what) =>
        File.Exists(path) ? path : throw new FileNotFoundException($"image input missing: {path} ({what})", path);
}
