using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Kybernet.Kubelet.Images;

/// <summary>
/// Builds image archives through a cache: an archive is kept under the digest of everything that goes into it (the
/// definition and the bytes of every input file), so building again with unchanged inputs only hashes the inputs.
/// </summary>
public sealed class ImageBuilder(string cacheDirectory, ILogger logger)
{
    /// <summary>Bumped when the archive format changes, so older cached archives are not reused.</summary>
    private const string FormatVersion = "kybernet-oci-archive/1";

    public string CacheDirectory { get; } = cacheDirectory;

    /// <summary>
    /// The archive of <paramref name="image"/>: from the cache, or written into it. With <paramref name="outputDirectory"/>,
    /// copied there as the definition's file name.
    /// </summary>
    public OciArchive Build(ImageDefinition image, string? outputDirectory = null)
    {
        var key = CacheKey(image);
        var cached = Path.Combine(CacheDirectory, key, image.FileName);
        var digestFile = cached + ".digest";
        if (!File.Exists(cached) || !File.Exists(digestFile))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(cached)!);
            var temp = $"{cached}.{Environment.ProcessId}.tmp";
            string digest;
            try
            {
                using (var file = File.Create(temp))
                    digest = OciArchiveWriter.Write(image, file);
                File.WriteAllText(digestFile, digest);
                File.Move(temp, cached, overwrite: true);
            }
            finally
            {
                File.Delete(temp);
            }
            logger.LogInformation("built image {Names} ({Digest}) into {Path}", string.Join(", ", image.Names), digest, cached);
        }
        else
            logger.LogDebug("image {Names} unchanged: cached at {Path}", string.Join(", ", image.Names), cached);

        var manifestDigest = File.ReadAllText(digestFile).Trim();
        var path = cached;
        if (outputDirectory is not null)
        {
            Directory.CreateDirectory(outputDirectory);
            path = Path.Combine(outputDirectory, image.FileName);
            var temp = $"{path}.{Environment.ProcessId}.tmp";
            File.Copy(cached, temp, overwrite: true);
            File.Move(temp, path, overwrite: true);
        }
        return new OciArchive(path, image.Names, manifestDigest, new FileInfo(path).Length);
    }

    /// <summary>The digest of the definition and of every input file's bytes (hex, usable as a folder name).</summary>
    public static string CacheKey(ImageDefinition image)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string text) => hash.AppendData(Encoding.UTF8.GetBytes(text + "\n"));
        Add(FormatVersion);
        Add(image.FileName);
        foreach (var name in image.Names)
            Add("name " + name);
        var config = image.Config;
        Add($"config {string.Join('\0', config.Entrypoint)}|{string.Join('\0', config.Cmd)}|{string.Join('\0', config.Env)}|{config.WorkingDir}|{string.Join('\0', config.ExposedPorts)}");
        foreach (var entry in image.Entries.OrderBy(e => e.Path, StringComparer.Ordinal))
        {
            Add($"entry {entry.Path} {entry.Kind} {(int)entry.Mode} {entry.LinkTarget}");
            if (entry.Content is { } content)
                Add("content " + Convert.ToHexStringLower(SHA256.HashData(content)));
            if (entry.SourceFile is { } source)
            {
                using var file = File.OpenRead(source);
                Add("file " + Convert.ToHexStringLower(SHA256.HashData(file)));
            }
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
