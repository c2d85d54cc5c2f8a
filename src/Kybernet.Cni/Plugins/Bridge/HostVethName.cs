using System.Text;

namespace Kybernet.Cni.Plugins.Bridge;

/// <summary>
/// The host end's name: "veth" and 8 hex digits, like the reference, but derived from the container
/// ID and interface name rather than random, so DEL and CHECK can find it without any saved state.
/// FNV-1a, not a cryptographic hash: this is a name, and loading OpenSSL would cost ~2 ms per ADD.
/// </summary>
public static class HostVethName
{
    public static string For(string containerId, string ifName)
    {
        ulong hash = 14695981039346656037UL;
        foreach (byte b in Encoding.UTF8.GetBytes($"{containerId}/{ifName}"))
            hash = (hash ^ b) * 1099511628211UL;
        return $"veth{(uint)(hash ^ (hash >> 32)):x8}";
    }
}
