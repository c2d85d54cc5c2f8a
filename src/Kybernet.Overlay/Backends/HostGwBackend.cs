using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Kybernet.Linux.Netlink;
using Microsoft.Extensions.Logging;

namespace Kybernet.Overlay.Backends;

/// <summary>
/// flannel's host-gw backend: no encapsulation, each remote subnet routed via the remote node's public
/// address on the underlay device. Needs every node on one L2 network; the MTU is the underlay's. The device is
/// not ours, so a resync restores routes only.
/// </summary>
public sealed class HostGwBackend(ExternalInterface external, ILogger? log = null) : IBackend
{
    public const string TypeName = "host-gw";

    public string Name => TypeName;

    public async Task<INetwork> RegisterNetworkAsync(NetworkConfig config, LeaseAcquirer acquireLease, CancellationToken cancellationToken = default)
    {
        IpForwarding.Enable(external.Namespace);
        var netlink = RtNetlink.Open(external.Namespace);
        try
        {
            int mtu = netlink.Links.Get(external.Device).Mtu;
            var lease = await acquireLease(new LeaseRequest(external.PublicIp, TypeName, new JsonObject()), cancellationToken).ConfigureAwait(false);
            var device = external.Device;
            return new RouteNetwork(TypeName, netlink, config, lease, mtu, device, ownsDevice: false,
                others => HostGwPlanner.Plan(config, lease, device, DeviceSubnets(netlink, device), others), log: log);
        }
        catch
        {
            netlink.Dispose();
            throw;
        }
    }

    private static IReadOnlyList<IPNetwork> DeviceSubnets(RtNetlink netlink, string device) =>
        netlink.Addresses.List(device, AddressFamily.InterNetwork).Select(a => a.Address.Network).Distinct().ToList();
}
