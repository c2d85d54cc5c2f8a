using System.Net;

namespace Kybernet.Agnhost;

/// <summary>
/// The kernel's hostname (the pod's name inside a pod's UTS namespace). Read from /proc like Go's os.Hostname,
/// since Environment.MachineName cuts the name at its first dot.
/// </summary>
public static class HostName
{
    public static string Get()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/hostname").TrimEnd('\n');
        }
        catch (IOException e)
        {
            Log.Line($"read /proc/sys/kernel/hostname: {e.Message}; asking gethostname instead");
            return Dns.GetHostName();
        }
    }
}
