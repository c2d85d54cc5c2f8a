using System.Formats.Tar;
using Kybernet.Kubelet.Images;

namespace Kybernet.Kubelet.Tests.Images;

public sealed class OciArchiveWriterTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("kyt-oci-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private ImageDefinition Sample()
    {
        var program = Path.Combine(_directory, "program");
        File.WriteAllText(program, "#!/bin/sh\necho hi\n");
        return new ImageDefinition(
            "sample.tar",
            ["docker.io/kybernet/sample:2.1", "docker.io/kybernet/sample:latest"],
            [LayerEntry.FileFrom("/usr/bin/program", program),
                LayerEntry.Symlink("/bin/program", "/usr/bin/program"),
                LayerEntry.FileWith("/etc/greeting", "hello\n", (UnixFileMode)0b110_000_000),
                LayerEntry.Directory("/tmp", LayerEntry.StickyWorldWritable)],
            new ImageConfig
            {
                Entrypoint = ["/usr/bin/program"],
                Cmd = ["--verbose"],
                Env = [ImageConfig.DefaultPath, "GREETING=hello"],
                WorkingDir = "/tmp",
                ExposedPorts = ["8080/tcp", "8081/udp"],
            });
    }

    private static byte[] Write(ImageDefinition image, out string digest)
    {
        using var output = new MemoryStream();
        digest = OciArchiveWriter.Write(image, output);
        return output.ToArray();
    }

    [Fact]
    public void The_layout_index_manifest_config_and_layer_read_back_with_their_digests()
    {
        var archive = new OciArchiveReader(Write(Sample(), out var digest));

        Assert.Equal("""{"imageLayoutVersion":"1.0.0"}""", System.Text.Encoding.UTF8.GetString(archive.Files["oci-layout"]));
        Assert.Equal(["oci-layout", "index.json", "blobs/", "blobs/sha256/"], archive.EntryNames.Take(4));
        Assert.Equal(OciMediaTypes.Index, (string)archive.Index["mediaType"]!);
        var manifests = archive.Index["manifests"]!.AsArray();
        Assert.Equal(2, manifests.Count);
        Assert.All(manifests, m => Assert.Equal(digest, (string)m!["digest"]!));
        Assert.Equal("docker.io/kybernet/sample:2.1", (string)manifests[0]!["annotations"]![OciMediaTypes.ContainerdImageName]!);
        Assert.Equal("2.1", (string)manifests[0]!["annotations"]![OciMediaTypes.RefName]!);
        Assert.Equal("docker.io/kybernet/sample:latest", (string)manifests[1]!["annotations"]![OciMediaTypes.ContainerdImageName]!);
        Assert.Equal("latest", (string)manifests[1]!["annotations"]![OciMediaTypes.RefName]!);
        Assert.Equal(digest, OciArchiveReader.Digest(archive.Manifest));
        Assert.Equal(OciMediaTypes.GzipLayer, (string)archive.ManifestJson["layers"]![0]!["mediaType"]!);
        Assert.Equal(OciMediaTypes.Config, (string)archive.ManifestJson["config"]!["mediaType"]!);

        Assert.Equal("amd64", (string)archive.Config["architecture"]!);
        Assert.Equal("linux", (string)archive.Config["os"]!);
        var config = archive.Config["config"]!;
        Assert.Equal(["/usr/bin/program"], config["Entrypoint"]!.AsArray().Select(v => (string)v!));
        Assert.Equal(["--verbose"], config["Cmd"]!.AsArray().Select(v => (string)v!));
        Assert.Equal([ImageConfig.DefaultPath, "GREETING=hello"], config["Env"]!.AsArray().Select(v => (string)v!));
        Assert.Equal("/tmp", (string)config["WorkingDir"]!);
        Assert.Equal(["8080/tcp", "8081/udp"], config["ExposedPorts"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public void The_layer_holds_files_symlinks_and_directories_with_their_modes_sorted_with_parents_first()
    {
        var layer = new OciArchiveReader(Write(Sample(), out _));

        Assert.Equal(["bin/", "bin/program", "etc/", "etc/greeting", "tmp/", "usr/", "usr/bin/", "usr/bin/program"], layer.LayerOrder);
        Assert.Equal(TarEntryType.RegularFile, layer.Layer["usr/bin/program"].Type);
        Assert.Equal("#!/bin/sh\necho hi\n", System.Text.Encoding.UTF8.GetString(layer.Layer["usr/bin/program"].Content));
        Assert.Equal(LayerEntry.Executable, layer.Layer["usr/bin/program"].Mode);
        Assert.Equal(TarEntryType.SymbolicLink, layer.Layer["bin/program"].Type);
        Assert.Equal("/usr/bin/program", layer.Layer["bin/program"].LinkName);
        Assert.Equal((UnixFileMode)0b110_000_000, layer.Layer["etc/greeting"].Mode);
        Assert.Equal(TarEntryType.Directory, layer.Layer["tmp/"].Type);
        Assert.Equal(LayerEntry.StickyWorldWritable, layer.Layer["tmp/"].Mode);
        Assert.Equal(LayerEntry.Executable, layer.Layer["usr/"].Mode);
        Assert.All(layer.Layer.Values, e => Assert.Equal((DateTimeOffset.UnixEpoch, 0, 0), (e.ModificationTime, e.Uid, e.Gid)));
    }

    [Fact]
    public void The_same_inputs_give_the_same_bytes_and_another_input_another_digest()
    {
        var first = Write(Sample(), out var digest);
        var second = Write(Sample(), out var again);
        Assert.Equal(digest, again);
        Assert.Equal(first, second);

        var changed = Sample() with { Config = new ImageConfig { Cmd = ["sh"] } };
        Write(changed, out var other);
        Assert.NotEqual(digest, other);
    }

    [Fact]
    public void Two_entries_for_one_path_or_an_unclean_path_are_refused()
    {
        var twice = Sample() with { Entries = [LayerEntry.Directory("/tmp"), LayerEntry.Directory("/tmp/")] };
        Assert.Throws<ArgumentException>(() => Write(twice, out _));
        var dotdot = Sample() with { Entries = [LayerEntry.Directory("/tmp/../etc")] };
        Assert.Throws<ArgumentException>(() => Write(dotdot, out _));
    }

    [Fact]
    public void Tags_come_from_the_reference()
    {
        Assert.Equal("1.35", OciArchiveWriter.TagOf("docker.io/library/busybox:1.35"));
        Assert.Equal("latest", OciArchiveWriter.TagOf("localhost:5000/busybox"));
    }

    [Fact]
    public void Ldd_output_gives_the_interpreter_and_the_libraries_but_not_the_vdso()
    {
        const string output = "\tlinux-vdso.so.1 (0x00007ffd)\n\tlibm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x00007f03)\n" +
            "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f04)\n\t/lib64/ld-linux-x86-64.so.2 (0x00007f05)\n";
        Assert.Equal(["/lib/x86_64-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/libm.so.6", "/lib64/ld-linux-x86-64.so.2"], SharedLibraries.Parse(output));
        Assert.Throws<IOException>(() => SharedLibraries.Parse("\tlibfoo.so.1 => not found\n"));
    }
}
