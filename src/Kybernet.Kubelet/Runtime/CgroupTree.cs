using Kybernet.Linux.Processes;

namespace Kybernet.Kubelet.Runtime;

/// <summary>
/// One cgroup path (cgroupfs, e.g. "/kybernet/node-1") in every mounted hierarchy (cgroup v1 has one per controller,
/// plus the unified v2 one): the processes still in it and below it, and the removal of its directories. The
/// kubelet puts every pod under its node's cgroup parent, so what is below it is ours by construction.
/// </summary>
public sealed class CgroupTree(string parent, string mountRoot = "/sys/fs/cgroup")
{
    /// <summary>The cgroup's directory in each hierarchy where it exists.</summary>
    public IReadOnlyList<string> Directories()
    {
        if (!Directory.Exists(mountRoot))
            return [];
        var relative = parent.Trim('/');
        if (relative.Length == 0)
            throw new InvalidOperationException("refusing to clean the root cgroup: the cgroup parent must name a cgroup of its own");
        return Directory.EnumerateDirectories(mountRoot)
            .Where(h => new DirectoryInfo(h).LinkTarget is null) // "cpu,cpuacct" is mounted once; its aliases are links
            .Select(h => Path.Combine(h, relative))
            .Where(Directory.Exists)
            .ToList();
    }

    /// <summary>Every pid in the cgroup or below it, in any hierarchy.</summary>
    public IReadOnlySet<int> Pids()
    {
        var pids = new HashSet<int>();
        foreach (var dir in Directories())
        {
            foreach (var procs in Directory.EnumerateFiles(dir, "cgroup.procs", SearchOption.AllDirectories))
            {
                try
                {
                    foreach (var line in File.ReadLines(procs))
                        if (int.TryParse(line, out var pid))
                            pids.Add(pid);
                }
                catch (IOException) { } // the cgroup went while we read: it has no processes
            }
        }
        return pids;
    }

    /// <summary>SIGKILLs every process in the tree (what a killed shim left running).</summary>
    public int KillAll()
    {
        var pids = Pids();
        foreach (var pid in pids)
            Signals.Send(pid, Signals.SIGKILL);
        return pids.Count;
    }

    /// <summary>
    /// Removes the tree's directories bottom-up (a cgroup goes only once it has no processes and no children).
    /// Returns what could not be removed, with why.
    /// </summary>
    public IReadOnlyList<string> Remove()
    {
        var failures = new List<string>();
        foreach (var dir in Directories())
        {
            var all = Directory.EnumerateDirectories(dir, "*", SearchOption.AllDirectories)
                .OrderByDescending(d => d.Count(c => c == '/'))
                .Append(dir);
            foreach (var cgroup in all)
            {
                try
                {
                    Directory.Delete(cgroup); // rmdir: cgroupfs directories hold only virtual files
                }
                catch (DirectoryNotFoundException) { }
                catch (IOException e)
                {
                    failures.Add($"rmdir {cgroup}: {e.Message}");
                }
            }
        }
        return failures;
    }
}
