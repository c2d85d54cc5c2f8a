using System.Net;
using System.Text.Json.Nodes;

namespace Kybernet.Overlay;

/// <summary>
/// The overlay's configuration, flannel's JSON document (etcd key PREFIX/config):
/// {"Network":"10.244.0.0/16","SubnetLen":24,"SubnetMin":"...","SubnetMax":"...","Backend":{"Type":"vxlan",...}}.
/// </summary>
public sealed record NetworkConfig
{
    public required IPNetwork Network { get; init; }
    public int SubnetLen { get; init; } = 24;
    public IPAddress? SubnetMin { get; init; }
    public IPAddress? SubnetMax { get; init; }
    /// <summary>"vxlan" (the default here), "host-gw" or "udp". A parsed config without Backend gets "udp", as in flannel (Subnets.NetworkConfigParser).</summary>
    public string BackendType { get; init; } = "vxlan";
    /// <summary>The whole Backend object, for backend-specific keys (VNI, Port, DirectRouting...).</summary>
    public JsonObject Backend { get; init; } = new() { ["Type"] = "vxlan" };
}
