using Kybernet.Linux;
using Kybernet.Linux.Namespaces;

namespace Kybernet.Overlay.Backends;

/// <summary>Every backend routes pod traffic through the node, so the node's namespace must forward IPv4.</summary>
public static class IpForwarding
{
    public const string Key = "net.ipv4.ip_forward";

    /// <summary>Turns forwarding on; returns the value it had if that was not "1" (for the log), else null.</summary>
    public static string? Enable(NetworkNamespace node)
    {
        var value = Sysctl.Get(node, Key);
        if (value == "1")
            return null;
        Sysctl.Set(node, Key, "1");
        return value;
    }
}
