using System.Net;
using Kybernet.Net;

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
        var subnet = Ipv4Cidr.From(Subnet);
        var gateway = new Ipv4Cidr(subnet.NetworkAddress + 1, subnet.PrefixLength); // 10.244.1.1/24: host bits kept
        return $"FLANNEL_NETWORK={Network}\nFLANNEL_SUBNET={gateway}\nFLANNEL_MTU={Mtu}\nFLANNEL_IPMASQ={(IpMasq ? "true" : "false")}\n";
    }
}
