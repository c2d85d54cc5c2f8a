using Kybernet.Linux.Files;

namespace Kybernet.Kubelet.Pods.Volumes;

/// <summary>
/// A hostPath volume's type check (upstream's checkType): "" checks nothing, DirectoryOrCreate and FileOrCreate
/// create what is missing (0755 / 0644), the others require the path to be what they name.
/// </summary>
public static class HostPathCheck
{
    public static void Check(string path, string? type)
    {
        if (path.Split('/').Contains(".."))
            throw new ArgumentException($"invalid HostPath `{path}`: must not contain '..'");
        switch (type ?? "")
        {
            case "":
                return;
            case "DirectoryOrCreate" when !Path.Exists(path):
                Directory.CreateDirectory(path, (UnixFileMode)0x1ed);
                return;
            case "DirectoryOrCreate" or "Directory":
                Require(Directory.Exists(path), path, "is not a directory");
                return;
            case "FileOrCreate" when !Path.Exists(path):
                using (File.Create(path)) { }
                File.SetUnixFileMode(path, (UnixFileMode)0x1a4);
                return;
            case "FileOrCreate" or "File":
                Require(File.Exists(path), path, "is not a file");
                return;
            case "Socket":
                Require(Kind(path) == FileKind.Socket, path, "is not a socket file");
                return;
            case "CharDevice":
                Require(Kind(path) == FileKind.CharacterDevice, path, "is not a character device");
                return;
            case "BlockDevice":
                Require(Kind(path) == FileKind.BlockDevice, path, "is not a block device");
                return;
            default:
                throw new ArgumentException($"{type} is an invalid volume type");
        }
    }

    private static FileKind Kind(string path) => FileKinds.Of(path);

    private static void Require(bool ok, string path, string what)
    {
        if (!ok)
            throw new ArgumentException($"hostPath type check failed: {path} {what}");
    }
}
