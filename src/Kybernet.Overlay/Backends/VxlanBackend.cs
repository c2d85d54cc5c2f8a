using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Kybernet.Linux.Netlink;

namespace Kybernet.Overlay.Backends;

/// <summary>
/// flannel's vxlan backend, static design: one kernel vxlan device "flannel.VNI" per node, learning off,
/// every remote VTEP written in as a route, a permanent neighbour and an FDB entry from its lease. The
/// device carries the local subnet's network address as a /32 and is 50 bytes (VXLAN over IPv4) smaller
/// than the underlay.
/// </summary>
public sealed class VxlanBackend(ExternalInterface external) : IBackend
{
    public const string TypeName = "vxlan";

    /// <summary>Outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14) headers.</summary>
    public const int Overhead = 50;

    public string Name => TypeName;

    public async Task<INetwork> RegisterNetworkAsync(NetworkConfig config, LeaseAcquirer acquireLease, CancellationToken cancellationToken = default)
    {
        var options = VxlanOptions.From(config.Backend);
        IpForwarding.Enable(external.Namespace);
        var netlink = RtNetlink.Open(external.Namespace);
        try
        {
            int mtu = netlink.Links.Get(external.Device).Mtu - Overhead;
            var device = VxlanDevice.Ensure(netlink, new VxlanSpec(options.DeviceName, options.Vni)
            {
                Local = external.PublicIp,
                Parent = external.Device,
                Port = options.Port,
                Learning = false,
                Mtu = mtu,
            });
            var data = new JsonObject
            {
                ["VNI"] = options.Vni,
                ["VtepMAC"] = MacAddress.Format(device.Mac ?? throw new BackendException($"vxlan: {device.Name} has no MAC address")),
            };
            var lease = await acquireLease(new LeaseRequest(external.PublicIp, TypeName, data), cancellationToken).ConfigureAwait(false);
            if (lease.Subnet.BaseAddress.AddressFamily != AddressFamily.InterNetwork)
                throw new BackendException($"vxlan: the local lease {lease.Subnet} is not IPv4");
            VxlanDevice.EnsureOnlyAddress(netlink, device.Name, new InterfaceAddress(lease.Subnet.BaseAddress, 32));
            return new RouteNetwork(TypeName, netlink, config, lease, mtu, device.Name, ownsDevice: true,
                others => VxlanPlanner.Plan(config, lease, device.Name, others));
        }
        catch
        {
            netlink.Dispose();
            throw;
        }
    }
}
