using System.Runtime.InteropServices;
using System.Text;

namespace Kybernet.Kubelet.Runtime;

/// <summary>
/// The mount points of this mount namespace (/proc/self/mountinfo) under given directories, and their removal.
/// containerd and its shims mount in the host's mount namespace (we enter only the network namespace), so what
/// they leave is visible here: overlay rootfs, netns pins (nsfs), shm tmpfs.
/// </summary>
internal static partial class MountTable
{
    private const int MNT_DETACH = 2;
    private const int EINVAL = 22;
    private const int ENOENT = 2;

    /// <summary>Mount points at or under any of <paramref name="directories"/>, deepest first (the order to unmount them in).</summary>
    public static IReadOnlyList<string> Under(params IEnumerable<string> directories)
    {
        var prefixes = directories.Select(d => Path.TrimEndingDirectorySeparator(Path.GetFullPath(d))).ToList();
        return File.ReadLines("/proc/self/mountinfo")
            .Select(line => line.Split(' '))
            .Where(fields => fields.Length > 4)
            .Select(fields => Unescape(fields[4]))
            .Where(point => prefixes.Any(p => point == p || point.StartsWith(p + "/", StringComparison.Ordinal)))
            .Distinct()
            .OrderByDescending(point => point.Count(c => c == '/'))
            .ToList();
    }

    /// <summary>Lazily unmounts <paramref name="point"/> (MNT_DETACH: a busy mount goes once its last user does); false with the error when it failed.</summary>
    public static bool TryUnmount(string point, out string error)
    {
        error = "";
        if (umount2(point, MNT_DETACH) == 0)
            return true;
        int errno = Marshal.GetLastPInvokeError();
        if (errno is EINVAL or ENOENT) // not a mount point (any more): someone was first
            return true;
        error = $"umount {point}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";
        return false;
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash as \ooo octal.</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\'))
            return field;
        var s = new StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && IsOctal(field, i + 1))
            {
                s.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                s.Append(field[i]);
            }
        }
        return s.ToString();
    }

    private static bool IsOctal(string s, int at) =>
        at + 3 <= s.Length && s[at] is >= '0' and <= '7' && s[at + 1] is >= '0' and <= '7' && s[at + 2] is >= '0' and <= '7';

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int umount2(string target, int flags);
}
