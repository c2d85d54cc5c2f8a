using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;

namespace Kybernet.Kubelet.Images;

/// <summary>
/// Writes an image as an OCI image layout packed in a tar (oci-layout, index.json, blobs/sha256/...): one gzip layer,
/// its config, a manifest, and one index entry per name (annotated with the full name and the tag). The same definition
/// and input files give the same bytes, so the same digests.
/// </summary>
public static class OciArchiveWriter
{
    public const string Architecture = "amd64";
    public const string OperatingSystem = "linux";

    /// <summary>Writes the archive to <paramref name="output"/> and returns its manifest's digest.</summary>
    public static string Write(ImageDefinition image, Stream output)
    {
        if (image.Names.Count == 0)
            throw new ArgumentException($"image {image.FileName} has no name");
        var layer = LayerTarWriter.Write(image.Entries);
        var compressed = Gzip(layer);
        var config = Json(writer => WriteConfig(writer, image.Config, Digest(layer)));
        var manifest = Json(writer => WriteManifest(writer, config, compressed));
        var manifestDigest = Digest(manifest);
        var index = Json(writer => WriteIndex(writer, image.Names, manifestDigest, manifest.Length));

        // Blobs in digest order, after the two layout files: the order is part of the bytes.
        var blobs = new SortedDictionary<string, byte[]>(StringComparer.Ordinal)
        {
            [Hex(compressed)] = compressed,
            [Hex(config)] = config,
            [Hex(manifest)] = manifest,
        };
        using var tar = new TarWriter(output, TarEntryFormat.Ustar, leaveOpen: true);
        WriteFile(tar, "oci-layout", """{"imageLayoutVersion":"1.0.0"}"""u8.ToArray());
        WriteFile(tar, "index.json", index);
        WriteDirectory(tar, "blobs/");
        WriteDirectory(tar, "blobs/sha256/");
        foreach (var (hex, bytes) in blobs)
            WriteFile(tar, $"blobs/sha256/{hex}", bytes);
        return manifestDigest;
    }

    /// <summary>"sha256:HEX", the OCI digest of <paramref name="bytes"/>.</summary>
    public static string Digest(byte[] bytes) => "sha256:" + Hex(bytes);

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>The tag of a full reference: "1.35" of docker.io/library/busybox:1.35.</summary>
    public static string TagOf(string name)
    {
        var colon = name.LastIndexOf(':');
        return colon > name.LastIndexOf('/') ? name[(colon + 1)..] : "latest";
    }

    private static void WriteConfig(Utf8JsonWriter writer, ImageConfig config, string diffId)
    {
        writer.WriteStartObject();
        writer.WriteString("architecture", Architecture);
        writer.WriteString("os", OperatingSystem);
        writer.WriteStartObject("config");
        WriteStrings(writer, "Env", config.Env);
        if (config.Entrypoint.Count > 0)
            WriteStrings(writer, "Entrypoint", config.Entrypoint);
        if (config.Cmd.Count > 0)
            WriteStrings(writer, "Cmd", config.Cmd);
        if (config.WorkingDir.Length > 0)
            writer.WriteString("WorkingDir", config.WorkingDir);
        if (config.ExposedPorts.Count > 0)
        {
            writer.WriteStartObject("ExposedPorts");
            foreach (var port in config.ExposedPorts)
            {
                writer.WriteStartObject(port);
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
        writer.WriteStartObject("rootfs");
        writer.WriteString("type", "layers");
        WriteStrings(writer, "diff_ids", [diffId]);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteManifest(Utf8JsonWriter writer, byte[] config, byte[] layer)
    {
        writer.WriteStartObject();
        writer.WriteNumber("schemaVersion", 2);
        writer.WriteString("mediaType", OciMediaTypes.Manifest);
        writer.WritePropertyName("config");
        WriteDescriptor(writer, OciMediaTypes.Config, Digest(config), config.Length);
        writer.WriteStartArray("layers");
        WriteDescriptor(writer, OciMediaTypes.GzipLayer, Digest(layer), layer.Length);
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteIndex(Utf8JsonWriter writer, IReadOnlyList<string> names, string manifestDigest, long manifestSize)
    {
        writer.WriteStartObject();
        writer.WriteNumber("schemaVersion", 2);
        writer.WriteString("mediaType", OciMediaTypes.Index);
        writer.WriteStartArray("manifests");
        // One entry per name, all pointing at the same manifest: containerd creates one image per entry.
        foreach (var name in names)
            WriteDescriptor(writer, OciMediaTypes.Manifest, manifestDigest, manifestSize, name);
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteDescriptor(Utf8JsonWriter writer, string mediaType, string digest, long size, string? name = null)
    {
        writer.WriteStartObject();
        writer.WriteString("mediaType", mediaType);
        writer.WriteString("digest", digest);
        writer.WriteNumber("size", size);
        if (name is not null)
        {
            writer.WriteStartObject("platform");
            writer.WriteString("architecture", Architecture);
            writer.WriteString("os", OperatingSystem);
            writer.WriteEndObject();
            writer.WriteStartObject("annotations");
            writer.WriteString(OciMediaTypes.ContainerdImageName, name);
            writer.WriteString(OciMediaTypes.RefName, TagOf(name));
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter writer, string property, IEnumerable<string> values)
    {
        writer.WriteStartArray(property);
        foreach (var value in values)
            writer.WriteStringValue(value);
        writer.WriteEndArray();
    }

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
            write(writer);
        return buffer.ToArray();
    }

    private static byte[] Gzip(byte[] data)
    {
        using var buffer = new MemoryStream();
        // .NET's gzip header carries no mtime or file name, so the bytes depend only on the data.
        using (var gzip = new GZipStream(buffer, CompressionLevel.SmallestSize, leaveOpen: true))
            gzip.Write(data);
        return buffer.ToArray();
    }

    private static void WriteFile(TarWriter tar, string name, byte[] bytes)
    {
        using var data = new MemoryStream(bytes);
        tar.WriteEntry(Fixed(new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = data, Mode = LayerEntry.Readable }));
    }

    private static void WriteDirectory(TarWriter tar, string name) =>
        tar.WriteEntry(Fixed(new UstarTarEntry(TarEntryType.Directory, name) { Mode = LayerEntry.Executable }));

    private static UstarTarEntry Fixed(UstarTarEntry entry)
    {
        entry.ModificationTime = LayerTarWriter.FixedTime;
        entry.UserName = "";
        entry.GroupName = "";
        return entry;
    }
}
