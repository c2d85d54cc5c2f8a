using System.Globalization;
using Kybernet.Linux.Files;
using Microsoft.Extensions.Logging;

namespace Kybernet.Kubelet.Pods.Volumes;

/// <summary>
/// Writes a set of files into a volume directory so that a reader sees either the old set or the new one, never
/// a mix (upstream's atomic writer): the files go into a fresh "..TIMESTAMP" directory, the "..data" symlink is
/// swapped to it by rename(2), and every user-visible name is a symlink through ..data. Nothing is written when
/// the content and modes are unchanged.
/// </summary>
public sealed class AtomicWriter(string targetDirectory, ILogger logger)
{
    public const string DataLink = "..data";
    private const string NewDataLink = "..data_tmp";

    public string TargetDirectory { get; } = targetDirectory;

    /// <summary>Makes the directory show exactly <paramref name="payload"/>; true when anything was written.</summary>
    public bool Write(IReadOnlyDictionary<string, FileProjection> payload)
    {
        foreach (string path in payload.Keys)
            ValidatePath(path);
        Directory.CreateDirectory(TargetDirectory);

        string dataLink = Path.Combine(TargetDirectory, DataLink);
        string? oldTimestamped = new FileInfo(dataLink).LinkTarget;
        if (oldTimestamped is not null && Matches(Path.Combine(TargetDirectory, oldTimestamped), payload))
            return false;

        string timestamped = NewTimestampedName();
        string timestampedPath = Path.Combine(TargetDirectory, timestamped);
        try
        {
            Directory.CreateDirectory(timestampedPath);
            File.SetUnixFileMode(timestampedPath, (UnixFileMode)0x1ed); // 0755
            foreach (var (path, file) in payload)
                WriteFile(Path.Combine(timestampedPath, path), file);

            string newLink = Path.Combine(TargetDirectory, NewDataLink);
            if (new FileInfo(newLink).LinkTarget is not null)
                File.Delete(newLink);
            File.CreateSymbolicLink(newLink, timestamped);
            PathRename.Replace(newLink, dataLink);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Writing volume {Directory}: could not publish {Timestamped}; the previous content stays", TargetDirectory, timestamped);
            TryDelete(timestampedPath);
            throw;
        }

        var visible = payload.Keys.Select(TopLevel).ToHashSet(StringComparer.Ordinal);
        foreach (string name in visible)
        {
            string link = Path.Combine(TargetDirectory, name);
            if (new FileInfo(link).LinkTarget is null)
                File.CreateSymbolicLink(link, Path.Combine(DataLink, name));
        }
        if (oldTimestamped is not null)
        {
            foreach (string old in Directory.EnumerateFileSystemEntries(Path.Combine(TargetDirectory, oldTimestamped)).Select(Path.GetFileName).OfType<string>())
                if (!visible.Contains(old))
                    File.Delete(Path.Combine(TargetDirectory, old)); // the user-visible link of a file no longer projected
            TryDelete(Path.Combine(TargetDirectory, oldTimestamped));
        }
        return true;
    }

    /// <summary>Paths are relative, without "..", and may not start with ".." (the writer's own names).</summary>
    public static void ValidatePath(string path)
    {
        if (path.Length == 0)
            throw new ArgumentException("invalid path: must not be empty");
        if (path.StartsWith('/'))
            throw new ArgumentException($"invalid path: must be relative path: {path}");
        if (path.Split('/').Contains(".."))
            throw new ArgumentException($"invalid path: must not contain '..': {path}");
        if (path.StartsWith("..", StringComparison.Ordinal))
            throw new ArgumentException($"invalid path: must not start with '..': {path}");
    }

    private static string TopLevel(string path)
    {
        int slash = path.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? path : path[..slash];
    }

    private static void WriteFile(string path, FileProjection file)
    {
        string directory = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(directory))
            Directory.CreateDirectory(directory, (UnixFileMode)0x1ed);
        File.WriteAllBytes(path, file.Data);
        File.SetUnixFileMode(path, (UnixFileMode)(file.Mode & 0xfff));
    }

    /// <summary>Whether the published directory already holds exactly these files with these modes.</summary>
    private static bool Matches(string publishedDirectory, IReadOnlyDictionary<string, FileProjection> payload)
    {
        if (!Directory.Exists(publishedDirectory))
            return false;
        var files = Directory.EnumerateFiles(publishedDirectory, "*", SearchOption.AllDirectories).ToList();
        if (files.Count != payload.Count)
            return false;
        foreach (var (path, file) in payload)
        {
            string existing = Path.Combine(publishedDirectory, path);
            if (!File.Exists(existing) || ((int)File.GetUnixFileMode(existing) & 0xfff) != (file.Mode & 0xfff))
                return false;
            if (!File.ReadAllBytes(existing).AsSpan().SequenceEqual(file.Data))
                return false;
        }
        return true;
    }

    // "..2026_12_02_13_04_05.123456789": when it was written, and unique within the directory.
    private string NewTimestampedName()
    {
        string stamp = DateTime.UtcNow.ToString("yyyy_MM_dd_HH_mm_ss", CultureInfo.InvariantCulture);
        while (true)
        {
            string name = $"..{stamp}.{Random.Shared.Next(0, 1_000_000_000).ToString("D9", CultureInfo.InvariantCulture)}";
            if (!Path.Exists(Path.Combine(TargetDirectory, name)))
                return name;
        }
    }

    private void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(e, "Writing volume {Directory}: could not remove {Old}", TargetDirectory, directory);
        }
    }
}
