namespace Kybernet.Kubelet.Pods.Volumes;

/// <summary>
/// A volumeMount's subPath turned into a host path inside its volume: no absolute paths, no "..", and symlinks
/// followed only while they stay inside the volume (a link out of it is refused, as upstream refuses it).
/// Missing directories along the way are created with the volume's own mode, as upstream does before mounting.
/// </summary>
public static class SubPaths
{
    private const int MaxLinks = 40; // the kernel's own limit on links followed in one lookup

    public static string Resolve(string volumePath, string subPath)
    {
        if (subPath.StartsWith('/'))
            throw new ContainerConfigException($"error SubPath `{subPath}` must not be an absolute path");
        if (subPath.Split('/').Contains(".."))
            throw new ContainerConfigException($"unable to provision SubPath `{subPath}`: must not contain '..'");

        string root = RealPath(volumePath);
        var mode = File.GetUnixFileMode(root);
        string current = root;
        var remaining = new Queue<string>(subPath.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != "."));
        int links = 0;
        while (remaining.Count > 0)
        {
            string next = Path.Combine(current, remaining.Dequeue());
            var info = new FileInfo(next);
            if (info.LinkTarget is { } target)
            {
                if (++links > MaxLinks)
                    throw new ContainerConfigException($"subpath \"{next}\": too many levels of symbolic links");
                string resolved = RealPath(Path.IsPathRooted(target) ? target : Path.Combine(current, target));
                if (!Within(resolved, root))
                    throw new ContainerConfigException($"subpath \"{resolved}\" not within volume path \"{root}\"");
                current = resolved;
            }
            else if (Path.Exists(next))
            {
                current = next;
            }
            else
            {
                Directory.CreateDirectory(next);
                File.SetUnixFileMode(next, mode);
                current = next;
            }
        }
        return current;
    }

    private static bool Within(string path, string root) =>
        path == root || path.StartsWith(root.EndsWith('/') ? root : root + "/", StringComparison.Ordinal);

    /// <summary>The path with every symlink resolved (realpath), for a path whose links may dangle at the end.</summary>
    internal static string RealPath(string path)
    {
        string full = Path.GetFullPath(path);
        var parts = new Queue<string>(full.Split('/', StringSplitOptions.RemoveEmptyEntries));
        string current = "/";
        int links = 0;
        while (parts.Count > 0)
        {
            string part = parts.Dequeue();
            if (part == ".")
                continue;
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? "/";
                continue;
            }
            string next = Path.Combine(current, part);
            if (new FileInfo(next).LinkTarget is { } target)
            {
                if (++links > MaxLinks)
                    throw new ContainerConfigException($"subpath \"{path}\": too many levels of symbolic links");
                var rest = parts.ToList();
                string restarted = Path.IsPathRooted(target) ? target : Path.Combine(current, target);
                parts = new Queue<string>(restarted.Split('/', StringSplitOptions.RemoveEmptyEntries).Concat(rest));
                current = "/";
                continue;
            }
            current = next;
        }
        return current;
    }
}
