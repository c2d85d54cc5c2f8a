using System.Formats.Tar;

namespace Kybernet.Kubelet.Images;

/// <summary>
/// Writes a layer's entries as an uncompressed tar that is the same byte for byte whenever the inputs are: entries
/// sorted by path, every parent directory present, one fixed mtime, owner root with no user or group names.
/// </summary>
internal static class LayerTarWriter
{
    /// <summary>Every entry's mtime: the same build on another day must give the same digest.</summary>
    public static readonly DateTimeOffset FixedTime = DateTimeOffset.UnixEpoch;

    public static byte[] Write(IReadOnlyList<LayerEntry> entries)
    {
        var byPath = new SortedDictionary<string, LayerEntry>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var path = RelativePath(entry.Path);
            if (!byPath.TryAdd(path, entry))
                throw new ArgumentException($"image layer: two entries for {entry.Path}");
        }
        foreach (var path in byPath.Keys.ToList())
            for (var parent = Path.GetDirectoryName(path); !string.IsNullOrEmpty(parent); parent = Path.GetDirectoryName(parent))
                byPath.TryAdd(parent, LayerEntry.Directory("/" + parent));

        using var buffer = new MemoryStream();
        using (var tar = new TarWriter(buffer, TarEntryFormat.Ustar, leaveOpen: true))
            foreach (var (path, entry) in byPath)
                WriteEntry(tar, path, entry);
        return buffer.ToArray();
    }

    private static void WriteEntry(TarWriter tar, string path, LayerEntry entry)
    {
        var (type, name) = entry.Kind switch
        {
            LayerEntryKind.Directory => (TarEntryType.Directory, path + "/"),
            LayerEntryKind.Symlink => (TarEntryType.SymbolicLink, path),
            _ => (TarEntryType.RegularFile, path),
        };
        var tarEntry = new UstarTarEntry(type, name)
        {
            Mode = entry.Mode,
            ModificationTime = FixedTime,
            Uid = 0,
            Gid = 0,
            UserName = "",
            GroupName = "",
        };
        if (entry.Kind == LayerEntryKind.Symlink)
            tarEntry.LinkName = entry.LinkTarget ?? throw new ArgumentException($"image layer: symlink {entry.Path} has no target");
        if (entry.Kind != LayerEntryKind.File)
        {
            tar.WriteEntry(tarEntry);
            return;
        }
        using Stream content = entry.SourceFile is { } source
            ? OpenSource(source, entry.Path)
            : new MemoryStream(entry.Content ?? throw new ArgumentException($"image layer: file {entry.Path} has no contents"));
        tarEntry.DataStream = content;
        tar.WriteEntry(tarEntry);
    }

    private static FileStream OpenSource(string source, string imagePath)
    {
        try
        {
            return File.OpenRead(source);
        }
        catch (IOException e)
        {
            throw new IOException($"image layer: cannot read {source} for {imagePath}: {e.Message}", e);
        }
    }

    /// <summary>Tar names are relative to the image's root ("bin/sh", not "/bin/sh").</summary>
    private static string RelativePath(string path)
    {
        var relative = path.Trim('/');
        if (relative.Length == 0 || relative.Split('/').Any(part => part is "" or "." or ".."))
            throw new ArgumentException($"image layer: {path} is not a clean absolute path");
        return relative;
    }
}
