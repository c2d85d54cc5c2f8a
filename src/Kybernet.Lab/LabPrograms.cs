using System.Runtime.InteropServices;

namespace Kybernet.Lab;

/// <summary>
/// The programs a lab runs besides etcd: the `kybernet` command line (its agents) and the NativeAOT
/// multi-call binary that holds the CNI plugins.
/// </summary>
public sealed record LabPrograms(IReadOnlyList<string> Kybernet, string NativeBinary)
{
    public const string NativeBinaryName = "kybernet-native";

    /// <summary>
    /// Copy the program into the lab before running it there: the build directory it runs from is rewritten
    /// in place by the next build (./kybernet rebuilds when sources change), under agents that have it mapped.
    /// </summary>
    public bool CopyIntoLab { get; init; }

    /// <summary>The NativeAOT agnhost that the kybernet/agnhost image packages; by default beside the native binary.</summary>
    public string AgnhostBinary
    {
        get => _agnhost ?? Path.Combine(Path.GetDirectoryName(NativeBinary)!, "agnhost");
        init => _agnhost = value;
    }

    private readonly string? _agnhost;

    /// <summary>
    /// The same programs, copied into <paramref name="directory"/> (once: a lab keeps the copy it started with): every
    /// file beside the program, and this machine's Linux native libraries under runtimes/ (the other platforms' are not needed).
    /// </summary>
    public LabPrograms InstallInto(string directory)
    {
        var program = Kybernet[^1];
        var source = Path.GetDirectoryName(program)!;
        var installed = Path.Combine(directory, Path.GetFileName(program));
        if (!File.Exists(installed))
        {
            var temp = $"{directory}.{Environment.ProcessId}.tmp";
            try
            {
                if (Directory.Exists(temp))
                    Directory.Delete(temp, recursive: true);
                CopyFiles(source, temp);
                var natives = Path.Combine("runtimes", $"linux-{RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()}");
                if (Directory.Exists(Path.Combine(source, natives)))
                    CopyTree(Path.Combine(source, natives), Path.Combine(temp, natives));
                Directory.Move(temp, directory);
            }
            finally
            {
                if (Directory.Exists(temp))
                    Directory.Delete(temp, recursive: true);
            }
        }
        return this with { Kybernet = [.. Kybernet.SkipLast(1), installed], CopyIntoLab = false };
    }

    private static void CopyFiles(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            var target = Path.Combine(to, Path.GetFileName(file));
            File.Copy(file, target);
            File.SetUnixFileMode(target, File.GetUnixFileMode(file));
        }
    }

    private static void CopyTree(string from, string to)
    {
        CopyFiles(from, to);
        foreach (var dir in Directory.EnumerateDirectories(from))
            CopyTree(dir, Path.Combine(to, Path.GetFileName(dir)));
    }

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
        return new LabPrograms(kybernet, Path.Combine(AppContext.BaseDirectory, NativeBinaryName)) { CopyIntoLab = true };
    }
}
