namespace Kybernet.Kubelet.Images;

/// <summary>
/// An image Kybernet builds: the names it is imported under (full references such as docker.io/library/busybox:1.35),
/// the file the archive is written to, its single layer's entries and its config.
/// </summary>
public sealed record ImageDefinition(string FileName, IReadOnlyList<string> Names, IReadOnlyList<LayerEntry> Entries, ImageConfig Config);
