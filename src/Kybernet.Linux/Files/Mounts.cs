using System.Runtime.InteropServices;
using System.Text;
using Kybernet.Linux.Interop;

namespace Kybernet.Linux.Files;

/// <summary>
/// The mount(2) calls the kubelet's volumes need: a size-limited tmpfs for memory-backed volumes, and finding
/// and detaching what is mounted under a directory when a pod's volumes are torn down.
/// </summary>
public static class Mounts
{
    private const ulong MS_NOSUID = 0x2, MS_NODEV = 0x4;

    /// <summary>Mounts a tmpfs on <paramref name="target"/>; <paramref name="sizeBytes"/> null leaves the kernel's default (half of RAM).</summary>
    public static void MountTmpfs(string target, long? sizeBytes, string source = "tmpfs")
    {
        string? options = sizeBytes is { } size ? $"size={size}" : null;
        nint data = options is null ? 0 : Marshal.StringToCoTaskMemUTF8(options);
        try
        {
            if (Libc.mount(source, target, "tmpfs", MS_NOSUID | MS_NODEV, data) != 0)
                throw LinuxException.FromLastError($"mount tmpfs on {target}" + (options is null ? "" : $" ({options})"));
        }
        finally
        {
            if (data != 0)
                Marshal.FreeCoTaskMem(data);
        }
    }

    /// <summary>Detaches the mount on <paramref name="target"/> (MNT_DETACH: busy files keep it alive only for their holders).</summary>
    public static void Unmount(string target)
    {
        if (Libc.umount2(target, Libc.MNT_DETACH) != 0)
            throw LinuxException.FromLastError($"unmount {target}");
    }

    /// <summary>The mount points at or below <paramref name="directory"/>, deepest first (the order to unmount them in).</summary>
    public static IReadOnlyList<string> Under(string directory)
    {
        string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        var found = new List<string>();
        foreach (string line in File.ReadLines("/proc/self/mountinfo"))
        {
            // mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT ...; the mount point is field 5, with octal escapes.
            string[] fields = line.Split(' ');
            if (fields.Length < 5)
                continue;
            string point = Unescape(fields[4]);
            if (point == root || point.StartsWith(root + "/", StringComparison.Ordinal))
                found.Add(point);
        }
        return found.OrderByDescending(p => p.Length).ToList();
    }

    /// <summary>The type of the filesystem mounted exactly at <paramref name="mountPoint"/>, or null when nothing is.</summary>
    public static string? FilesystemAt(string mountPoint)
    {
        string target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(mountPoint));
        string? type = null;
        foreach (string line in File.ReadLines("/proc/self/mountinfo"))
        {
            string[] fields = line.Split(' ');
            int separator = Array.IndexOf(fields, "-");
            if (fields.Length < 5 || separator < 0 || separator + 1 >= fields.Length)
                continue;
            if (Unescape(fields[4]) == target)
                type = fields[separator + 1]; // the last one listed is the one on top
        }
        return type;
    }

    // The kernel writes space, tab, newline and backslash in mount paths as \040, \011, \012, \134.
    private static string Unescape(string field)
    {
        if (!field.Contains('\\'))
            return field;
        var text = new StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && IsOctal(field, i + 1))
            {
                text.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                text.Append(field[i]);
            }
        }
        return text.ToString();
    }

    private static bool IsOctal(string s, int at) =>
        at + 3 <= s.Length && s[at] is >= '0' and <= '7' && s[at + 1] is >= '0' and <= '7' && s[at + 2] is >= '0' and <= '7';
}
