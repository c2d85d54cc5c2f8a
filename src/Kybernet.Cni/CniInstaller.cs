namespace Kybernet.Cni;

/// <summary>
/// Puts the plugins where a runtime looks for them (/opt/cni/bin, say): the multi-call binary once,
/// and one symlink per plugin name. The binary is copied to a temporary name and renamed, so a
/// runtime exec'ing a plugin at that moment sees the old binary or the new one, never half of one.
/// </summary>
public static class CniInstaller
{
    public const string BinaryName = "kybernet-native";

    public static IReadOnlyList<string> Install(string binary, string directory)
    {
        if (!File.Exists(binary))
            throw new FileNotFoundException($"the plugin binary {binary} does not exist (build it with ./kybernet or dotnet publish src/Kybernet.Native)", binary);
        Directory.CreateDirectory(directory);
        var target = Path.Combine(directory, BinaryName);
        var temp = Path.Combine(directory, $".{BinaryName}.{Environment.ProcessId}.tmp");
        File.Copy(binary, temp, overwrite: true);
        File.SetUnixFileMode(temp, (UnixFileMode)0b111_101_101);
        File.Move(temp, target, overwrite: true);

        var installed = new List<string> { target };
        foreach (var name in PluginCatalog.Names)
        {
            var link = Path.Combine(directory, name);
            var tempLink = Path.Combine(directory, $".{name}.{Environment.ProcessId}.tmp");
            File.Delete(tempLink);
            File.CreateSymbolicLink(tempLink, BinaryName);
            File.Move(tempLink, link, overwrite: true);
            installed.Add(link);
        }
        return installed;
    }
}
