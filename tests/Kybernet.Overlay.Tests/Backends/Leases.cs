using System.Net;
using System.Text.Json.Nodes;

namespace Kybernet.Overlay.Tests.Backends;

/// <summary>Leases written by hand, as the subnet manager would hand them over.</summary>
internal static class Leases
{
    public static readonly NetworkConfig Config = new() { Network = IPNetwork.Parse("10.244.0.0/16") };

    public static SubnetLease Vxlan(string subnet, string publicIp, string mac) =>
        new(IPNetwork.Parse(subnet), IPAddress.Parse(publicIp), "vxlan", new JsonObject { ["VNI"] = 1, ["VtepMAC"] = mac }, DateTimeOffset.UtcNow.AddHours(24));

    public static SubnetLease HostGw(string subnet, string publicIp) =>
        new(IPNetwork.Parse(subnet), IPAddress.Parse(publicIp), "host-gw", new JsonObject(), DateTimeOffset.UtcNow.AddHours(24));
}
