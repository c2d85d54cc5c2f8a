namespace Kybernet.Kubelet.Images;

/// <summary>An image archive on disk: its file, the names it imports as, its manifest's digest and its size in bytes.</summary>
public sealed record OciArchive(string Path, IReadOnlyList<string> Names, string ManifestDigest, long Size);
