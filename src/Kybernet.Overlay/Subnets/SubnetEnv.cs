using System.Net;

namespace Kybernet.Overlay.Subnets;

/// <summary>
/// What flanneld tells the node's CNI plugin in /run/flannel/subnet.env: the whole pod network, this node's
/// subnet, the MTU for pods and whether to masquerade traffic leaving the pod network.
/// </summary>
public sealed record SubnetEnv(IPNetwork Network, IPNetwork Subnet, int Mtu, bool IpMasq)
{
    /// <summary>flannel's default path.</summary>
    public const string DefaultPath = "/run/flannel/subnet.env";

    /// <summary>The file's text, flannel's keys in flannel's order; FLANNEL_SUBNET is the gateway (.1) with the subnet's length.</summary>
    public string Render()
    {
        var gateway = Ipv4.FromUInt32(Ipv4.ToUInt32(Subnet.BaseAddress) + 1);
        return $"FLANNEL_NETWORK={Network}\nFLANNEL_SUBNET={gateway}/{Subnet.PrefixLength}\nFLANNEL_MTU={Mtu}\nFLANNEL_IPMASQ={(IpMasq ? "true" : "false")}\n";
    }
}
