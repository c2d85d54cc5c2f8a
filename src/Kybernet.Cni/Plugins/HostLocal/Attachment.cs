namespace Kybernet.Cni.Plugins.HostLocal;

/// <summary>
/// Who holds a reservation: a container's interface. On disk it is the reference's format, byte for
/// byte: "CONTAINERID\r\nIFNAME" with no trailing newline. Files from host-local before v0.7 hold
/// only the container ID; they read back with a null <see cref="IfName"/> and match any interface.
/// </summary>
public sealed record Attachment(string ContainerId, string? IfName)
{
    public const string LineBreak = "\r\n";

    public string ToFileContent() => ContainerId.Trim() + LineBreak + IfName;

    public static Attachment FromFileContent(string content)
    {
        var text = content.Trim();
        var split = text.IndexOf(LineBreak, StringComparison.Ordinal);
        return split < 0 ? new Attachment(text, null) : new Attachment(text[..split], text[(split + LineBreak.Length)..]);
    }

    /// <summary>Whether a reservation held by this (possibly legacy) owner belongs to <paramref name="other"/>.</summary>
    public bool IsHeldBy(Attachment other) =>
        ContainerId == other.ContainerId.Trim() && (IfName is null || IfName == other.IfName);

    public override string ToString() => $"container {ContainerId} interface {IfName ?? "(any)"}";
}
