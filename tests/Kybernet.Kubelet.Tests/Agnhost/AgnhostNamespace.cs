using Kybernet.Linux.Namespaces;
using Kybernet.Linux.Processes;

namespace Kybernet.Kubelet.Tests.Agnhost;

/// <summary>
/// A throwaway network namespace with only lo, up: agnhost's ports there clash with nothing on the machine and its
/// traffic stays inside. Named "kyt" + this run's pid + a counter, so a leak is recognisably ours; deleted on dispose.
/// </summary>
public sealed class AgnhostNamespace : IDisposable
{
    private static int _counter;

    public AgnhostNamespace()
    {
        Name = $"kyt{Environment.ProcessId:x}-a{Interlocked.Increment(ref _counter)}";
        Namespace = NetworkNamespace.Create(Name);
        var up = ChildProcess.Run(new ChildProcessOptions("ip", "-n", Name, "link", "set", "lo", "up"), TimeSpan.FromSeconds(10));
        if (!up.Succeeded)
        {
            Dispose();
            throw new InvalidOperationException($"ip -n {Name} link set lo up failed (exit {up.ExitCode}): {up.Stderr}");
        }
    }

    public string Name { get; }
    public NetworkNamespace Namespace { get; }

    public void Dispose()
    {
        Namespace.Dispose();
        NetworkNamespace.Delete(Name);
    }
}
