namespace Kybernet.Kubelet.Pods.Volumes;

/// <summary>One file of a projected volume (configMap, secret, downwardAPI, projected): its bytes and its mode bits.</summary>
public sealed record FileProjection(byte[] Data, int Mode)
{
    /// <summary>0644, the default mode of every projected file.</summary>
    public const int DefaultMode = 0x1a4;

    public bool SameAs(FileProjection other) => Mode == other.Mode && Data.AsSpan().SequenceEqual(other.Data);
}
