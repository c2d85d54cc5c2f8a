namespace Kybernet.Kubelet.Images;

/// <summary>What a layer entry is: a regular file, a directory or a symbolic link.</summary>
public enum LayerEntryKind
{
    File,
    Directory,
    Symlink,
}

/// <summary>
/// One entry of an image layer: an absolute path in the image, its kind and permission bits, and where a file's bytes
/// come from (a file on this machine, or bytes given here) or what a symlink points to. Owner is always root.
/// </summary>
public sealed record LayerEntry(string Path, LayerEntryKind Kind, UnixFileMode Mode)
{
    /// <summary>A file's contents read from this machine (read when the layer is written).</summary>
    public string? SourceFile { get; init; }

    /// <summary>A file's contents given directly.</summary>
    public byte[]? Content { get; init; }

    public string? LinkTarget { get; init; }

    public const UnixFileMode Executable = (UnixFileMode)0b111_101_101;
    public const UnixFileMode Readable = (UnixFileMode)0b110_100_100;

    /// <summary>rwxrwxrwt, as /tmp is everywhere.</summary>
    public const UnixFileMode StickyWorldWritable = (UnixFileMode)0b1_111_111_111;

    public static LayerEntry FileFrom(string path, string sourceFile, UnixFileMode mode = Executable) =>
        new(path, LayerEntryKind.File, mode) { SourceFile = sourceFile };

    public static LayerEntry FileWith(string path, string content, UnixFileMode mode = Readable) =>
        new(path, LayerEntryKind.File, mode) { Content = System.Text.Encoding.UTF8.GetBytes(content) };

    public static LayerEntry Directory(string path, UnixFileMode mode = Executable) => new(path, LayerEntryKind.Directory, mode);

    public static LayerEntry Symlink(string path, string target) =>
        new(path, LayerEntryKind.Symlink, (UnixFileMode)0b111_111_111) { LinkTarget = target };
}
