using System.Net;

namespace Kybernet.Overlay.Subnets;

/// <summary>Our lease expired and the subnet went to another node: the node must acquire a new one (and renumber its pods).</summary>
public sealed class SubnetLostException(IPNetwork subnet, string message) : Exception(message)
{
    public IPNetwork Subnet { get; } = subnet;
}
