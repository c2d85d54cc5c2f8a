using Kybernet.Linux;
using Kybernet.Linux.Namespaces;

namespace Kybernet.Overlay.Backends;

/// <summary>Every backend routes pod traffic through the node, so the node's namespace must forward IPv4.</summary>
public static class IpForwarding
{
    public const string Key = "net.ipv4.ip_forward";

    public static void Enable(NetworkNamespace node)
    {
        if (Sysctl.Get(node, Key) != "1")
            Sysctl.Set(node, Key, "1");
    }
}
