namespace Kybernet.ApiServer.Security;

/// <summary>
/// Keys, tokens and kubeconfigs on disk: readable by their owner only from the moment they exist (made
/// 0600, never chmod-ed afterwards), and replaced whole (written to a temporary file, then renamed),
/// in a directory only the owner may enter.
/// </summary>
public static class SecretFile
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static void Write(string path, string content)
    {
        var temp = path + ".tmp";
        File.Delete(temp); // a leftover of a crash would keep its old mode
        using (var file = new FileStream(temp, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerOnly }))
        using (var writer = new StreamWriter(file))
            writer.Write(content);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Makes <paramref name="directory"/> (0700) if it does not exist yet.</summary>
    public static void CreateDirectory(string directory) =>
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
}
