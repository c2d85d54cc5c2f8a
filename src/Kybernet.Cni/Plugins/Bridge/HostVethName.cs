using System.Security.Cryptography;
using System.Text;

namespace Kybernet.Cni.Plugins.Bridge;

/// <summary>
/// The host end's name: "veth" and 8 hex digits, like the reference, but derived from the container
/// ID and interface name rather than random, so DEL and CHECK can find it without any saved state.
/// </summary>
public static class HostVethName
{
    public static string For(string containerId, string ifName)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{containerId}/{ifName}"), hash);
        return "veth" + Convert.ToHexStringLower(hash[..4]);
    }
}
