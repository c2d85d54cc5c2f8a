namespace Kybernet.Kubelet.Images;

/// <summary>
/// The files on this machine the built-in images are made of: the NativeAOT multi-call binary (pause), the agnhost
/// NativeAOT binary, and Debian's static busybox (package busybox-static).
/// </summary>
public sealed record ImageInputs(string NativeBinary, string AgnhostBinary, string Busybox = ImageInputs.DebianBusybox)
{
    public const string DebianBusybox = "/bin/busybox";
    public const string NativeBinaryName = "kybernet-native";
    public const string AgnhostBinaryName = "agnhost";

    /// <summary>Both NativeAOT binaries published beside the running program (./kybernet publishes them into .build/kybernet).</summary>
    public static ImageInputs BesideProgram() =>
        new(Path.Combine(AppContext.BaseDirectory, NativeBinaryName), Path.Combine(AppContext.BaseDirectory, AgnhostBinaryName));
}
