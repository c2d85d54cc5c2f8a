using System.Formats.Tar;
using Kybernet.Kubelet.Images;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Kubelet.Tests.Images;

public sealed class BuiltInImagesTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("kyt-images-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private ImageBuilder Builder => new(Path.Combine(_directory, "cache"), NullLogger.Instance);

    private static ImageInputs Inputs => new(TestBinaries.Native, "/nonexistent/agnhost");

    [Fact]
    public void Busybox_has_the_static_binary_a_symlink_per_applet_tmp_and_the_accounts()
    {
        var archive = Builder.Build(BuiltInImages.BusyboxImage(Inputs));
        var image = new OciArchiveReader(File.ReadAllBytes(archive.Path));

        Assert.Equal([BuiltInImages.Busybox, BuiltInImages.BusyboxLatest], image.Index["manifests"]!.AsArray().Select(m => (string)m!["annotations"]![OciMediaTypes.ContainerdImageName]!));
        Assert.Equal(File.ReadAllBytes("/bin/busybox"), image.Layer["bin/busybox"].Content);
        Assert.Equal(LayerEntry.Executable, image.Layer["bin/busybox"].Mode);
        foreach (var applet in new[] { "bin/sh", "usr/bin/wget", "usr/bin/nc", "usr/sbin/httpd", "usr/bin/nslookup", "sbin/ip" })
        {
            Assert.Equal(TarEntryType.SymbolicLink, image.Layer[applet].Type);
            Assert.Equal("/bin/busybox", image.Layer[applet].LinkName);
        }
        Assert.Equal(LayerEntry.StickyWorldWritable, image.Layer["tmp/"].Mode);
        var passwd = System.Text.Encoding.UTF8.GetString(image.Layer["etc/passwd"].Content);
        Assert.StartsWith("root:x:0:0:", passwd);
        Assert.Contains("\nnobody:x:65534:65534:", passwd);
        Assert.Contains("nobody:x:65534:", System.Text.Encoding.UTF8.GetString(image.Layer["etc/group"].Content));
        Assert.Equal(["sh"], image.Config["config"]!["Cmd"]!.AsArray().Select(v => (string)v!));
    }

    [Fact]
    public void Pause_has_the_native_binary_as_its_entrypoint_and_the_glibc_it_loads()
    {
        var image = new OciArchiveReader(File.ReadAllBytes(Builder.Build(BuiltInImages.PauseImage(Inputs)).Path));

        Assert.Equal(File.ReadAllBytes(TestBinaries.Native), image.Layer["pause"].Content);
        Assert.Equal(["/pause"], image.Config["config"]!["Entrypoint"]!.AsArray().Select(v => (string)v!));
        // The ELF interpreter at the path the binary names, and libc where the loader searches.
        Assert.Equal(TarEntryType.RegularFile, image.Layer["lib64/ld-linux-x86-64.so.2"].Type);
        Assert.Equal(TarEntryType.RegularFile, image.Layer["lib/x86_64-linux-gnu/libc.so.6"].Type);
        Assert.Equal(File.ReadAllBytes("/lib/x86_64-linux-gnu/libc.so.6"), image.Layer["lib/x86_64-linux-gnu/libc.so.6"].Content);
    }

    [Fact]
    public void A_second_build_with_the_same_inputs_comes_from_the_cache_and_a_changed_input_rebuilds()
    {
        var first = Builder.Build(BuiltInImages.BusyboxImage(Inputs), Path.Combine(_directory, "out"));
        var cached = Directory.GetFiles(Builder.CacheDirectory, BuiltInImages.BusyboxFile, SearchOption.AllDirectories).Single();
        var writtenAt = File.GetLastWriteTimeUtc(cached);

        var second = Builder.Build(BuiltInImages.BusyboxImage(Inputs), Path.Combine(_directory, "out"));

        Assert.Equal(first.ManifestDigest, second.ManifestDigest);
        Assert.Equal(writtenAt, File.GetLastWriteTimeUtc(cached));
        Assert.Equal(Path.Combine(_directory, "out", BuiltInImages.BusyboxFile), second.Path);
        Assert.Equal(new FileInfo(cached).Length, second.Size);

        var changed = BuiltInImages.BusyboxImage(Inputs) with { Config = new ImageConfig { Cmd = ["httpd", "-f"] } };
        Assert.NotEqual(first.ManifestDigest, Builder.Build(changed).ManifestDigest);
    }

    [Fact]
    public void A_missing_input_names_the_file_and_how_to_make_it()
    {
        var missing = Assert.Throws<FileNotFoundException>(() => BuiltInImages.AgnhostImage(Inputs));
        Assert.Contains("/nonexistent/agnhost", missing.Message);
        Assert.Contains("dotnet publish src/Kybernet.Agnhost", missing.Message);
    }
}
