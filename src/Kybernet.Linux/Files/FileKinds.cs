using Kybernet.Linux.Interop;

namespace Kybernet.Linux.Files;

/// <summary>What kind of file a path names (stat(2)'s S_IFMT), which .NET does not say for sockets and devices.</summary>
public enum FileKind { Missing, Regular, Directory, Symlink, Socket, CharacterDevice, BlockDevice, Fifo }

/// <summary>stat(2) of a path, following symlinks as hostPath type checks do.</summary>
public static class FileKinds
{
    private const int ModeOffset = 24; // x86-64 struct stat: st_dev, st_ino, st_nlink (8 bytes each), then st_mode

    public static unsafe FileKind Of(string path)
    {
        byte* stat = stackalloc byte[Libc.StatSize];
        if (Libc.stat_path(path, stat) != 0)
        {
            if (Libc.Errno == Libc.ENOENT)
                return FileKind.Missing;
            throw LinuxException.FromLastError($"stat {path}");
        }
        uint mode = *(uint*)(stat + ModeOffset);
        return (mode & 0xf000) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0xa000 => FileKind.Symlink,
            0xc000 => FileKind.Socket,
            0x2000 => FileKind.CharacterDevice,
            0x6000 => FileKind.BlockDevice,
            _ => FileKind.Fifo,
        };
    }
}
