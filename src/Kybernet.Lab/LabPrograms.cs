namespace Kybernet.Lab;

/// <summary>
/// The programs a lab runs besides etcd: the `kybernet` command line (its agents) and the NativeAOT
/// multi-call binary that holds the CNI plugins.
/// </summary>
public sealed record LabPrograms(IReadOnlyList<string> Kybernet, string NativeBinary)
{
    public const string NativeBinaryName = "kybernet-native";

    /// <summary>
    /// The running `kybernet` itself, and the native binary published beside it (./kybernet builds both into
    /// .build/kybernet). Run as `dotnet kybernet.dll`, the command is dotnet with the dll.
    /// </summary>
    public static LabPrograms FromCurrentProcess()
    {
        var process = Environment.ProcessPath ?? throw new LabException("cannot tell where the running kybernet binary is");
        IReadOnlyList<string> kybernet = Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? [process, System.Reflection.Assembly.GetEntryAssembly()!.Location]
            : [process];
        return new LabPrograms(kybernet, Path.Combine(AppContext.BaseDirectory, NativeBinaryName));
    }
}
