using System.Diagnostics;

namespace Kybernet.Lab.Tests;

/// <summary>
/// The host (root) namespace's links, addresses, routes and mounts, read with iproute2, so a test can
/// prove the lab changed none of them. Mounts of other tests' throwaway namespaces ("kyt") and of every
/// other lab this test process runs (kyb-t&lt;pid&gt;..., test classes run at the same time) are left out, and so
/// are the mounts under other test labs' data directories (a kube-mode lab's containerd mounts its containers'
/// rootfs and shm there): only the namespaces and data directory of the lab <see cref="Take"/> is asked about count.
/// </summary>
public sealed record HostSnapshot(string Links, string Addresses, string Routes, string Mounts)
{
    public static HostSnapshot Take(string lab, string dataDir) => new(
        Run("ip", "-o", "link", "show"),
        Run("ip", "-o", "addr", "show"),
        Run("ip", "route", "show", "table", "all"),
        string.Join('\n', File.ReadAllLines("/proc/self/mountinfo")
            .Where(l => !l.Contains("/run/netns/kyt") && (!l.Contains(TestLabs) || l.Contains($"/run/netns/{LabTopology.NamespacePrefix}{lab}-")))
            .Where(l => !l.Contains(TestLabData) || l.Contains(dataDir + "/"))
            .Order()));

    /// <summary>The start of every namespace of every lab this test process makes.</summary>
    private static readonly string TestLabs = $"/run/netns/{LabTopology.NamespacePrefix}t{Environment.ProcessId:x}";

    /// <summary>The start of every test lab's data directory (OverlayLab's, LabTests', LabEtcdTests').</summary>
    private static readonly string TestLabData = Path.Combine(Path.GetTempPath(), "kyt-lab-");

    public static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output;
    }
}
