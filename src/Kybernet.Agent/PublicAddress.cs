using System.Net;
using System.Net.Sockets;
using Kybernet.Linux.Namespaces;
using Kybernet.Linux.Netlink;

namespace Kybernet.Agent;

/// <summary>The node's public address, as flanneld finds it: the one given, or the first IPv4 address of the underlay device.</summary>
public static class PublicAddress
{
    public static IPAddress Resolve(NetworkNamespace node, string device, IPAddress? given)
    {
        if (given is not null)
            return given.AddressFamily == AddressFamily.InterNetwork
                ? given
                : throw new AgentConfigurationException($"the public IP {given} is not an IPv4 address");
        using var netlink = RtNetlink.Open(node);
        return netlink.Addresses.List(device, AddressFamily.InterNetwork).FirstOrDefault()?.Address.Address
            ?? throw new AgentConfigurationException($"{device} has no IPv4 address in {node.Describe()}; give --public-ip");
    }
}
