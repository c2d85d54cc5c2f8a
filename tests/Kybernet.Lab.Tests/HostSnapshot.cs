using System.Diagnostics;

namespace Kybernet.Lab.Tests;

/// <summary>
/// The host (root) namespace's links, addresses, routes and mounts, read with iproute2, so a test can
/// prove the lab changed none of them. Mounts of other tests' throwaway namespaces ("kyt") and of the
/// overlay tests' labs (<see cref="OverlayLab"/>) are left out, since those tests may run at the same time.
/// </summary>
public sealed record HostSnapshot(string Links, string Addresses, string Routes, string Mounts)
{
    public static HostSnapshot Take() => new(
        Run("ip", "-o", "link", "show"),
        Run("ip", "-o", "addr", "show"),
        Run("ip", "route", "show", "table", "all"),
        string.Join('\n', File.ReadAllLines("/proc/self/mountinfo").Where(l => !l.Contains("/run/netns/kyt") && !l.Contains(OverlayLab.NamespacePrefix)).Order()));

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
