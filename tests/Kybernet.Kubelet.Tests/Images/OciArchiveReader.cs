using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Kybernet.Kubelet.Tests.Images;

/// <summary>One entry of a layer as read back: its type, mode, link target and contents.</summary>
internal sealed record ReadEntry(TarEntryType Type, UnixFileMode Mode, string LinkName, byte[] Content, DateTimeOffset ModificationTime, int Uid, int Gid);

/// <summary>
/// Reads an OCI archive back the way a runtime would: index.json -> manifest -> config and layer, every blob checked
/// against its digest and size, the layer's uncompressed digest against the config's diff_id.
/// </summary>
internal sealed class OciArchiveReader
{
    public OciArchiveReader(byte[] archive)
    {
        using var reader = new TarReader(new MemoryStream(archive));
        while (reader.GetNextEntry() is { } entry)
        {
            EntryNames.Add(entry.Name);
            if (entry.EntryType == TarEntryType.RegularFile)
            {
                using var content = new MemoryStream();
                entry.DataStream?.CopyTo(content);
                Files[entry.Name] = content.ToArray();
            }
        }
        Index = Json("index.json");
        Manifest = Blob((string)Index["manifests"]![0]!["digest"]!, (long)Index["manifests"]![0]!["size"]!);
        var manifestJson = Parse(Manifest);
        Config = Parse(Blob((string)manifestJson["config"]!["digest"]!, (long)manifestJson["config"]!["size"]!));
        ManifestJson = manifestJson;
        var layerDescriptor = manifestJson["layers"]![0]!;
        var compressed = Blob((string)layerDescriptor["digest"]!, (long)layerDescriptor["size"]!);
        using var gunzip = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var layer = new MemoryStream();
        gunzip.CopyTo(layer);
        Assert.Equal((string)Config["rootfs"]!["diff_ids"]![0]!, Digest(layer.ToArray()));
        layer.Position = 0;
        using var layerReader = new TarReader(layer);
        while (layerReader.GetNextEntry() is { } entry)
        {
            using var content = new MemoryStream();
            entry.DataStream?.CopyTo(content);
            LayerOrder.Add(entry.Name);
            Layer[entry.Name] = new ReadEntry(entry.EntryType, entry.Mode, entry.LinkName, content.ToArray(), entry.ModificationTime, entry.Uid, entry.Gid);
        }
    }

    public List<string> EntryNames { get; } = [];
    public Dictionary<string, byte[]> Files { get; } = [];
    public JsonObject Index { get; }
    public byte[] Manifest { get; }
    public JsonObject ManifestJson { get; }
    public JsonObject Config { get; }
    public List<string> LayerOrder { get; } = [];
    public Dictionary<string, ReadEntry> Layer { get; } = [];

    public JsonObject Json(string name) => Parse(Files[name]);

    /// <summary>The blob named by <paramref name="digest"/>, checked to hash to it and to have the size the descriptor says.</summary>
    public byte[] Blob(string digest, long size)
    {
        var bytes = Files[$"blobs/sha256/{digest["sha256:".Length..]}"];
        Assert.Equal(digest, Digest(bytes));
        Assert.Equal(size, bytes.Length);
        return bytes;
    }

    public static string Digest(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static JsonObject Parse(byte[] bytes) => (JsonObject)JsonNode.Parse(bytes)!;
}
