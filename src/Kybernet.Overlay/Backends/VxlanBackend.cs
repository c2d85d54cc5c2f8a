using System.Net.Sockets;
using System.Text.Json.Nodes;
using Kybernet.Linux.Netlink;
using Microsoft.Extensions.Logging;

namespace Kybernet.Overlay.Backends;

/// <summary>
/// flannel's vxlan backend, static design: one kernel vxlan device "flannel.VNI" per node, learning off,
/// every remote VTEP written in as a route, a permanent neighbour and an FDB entry from its lease. The
/// device carries the local subnet's network address as a /32 and is 50 bytes (VXLAN over IPv4) smaller
/// than the underlay. Every Apply restores the device as registered: a deleted device is created again
/// with the MAC published in the lease, so the other nodes' entries for this node stay right.
/// </summary>
public sealed class VxlanBackend(ExternalInterface external, ILogger? log = null) : IBackend
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
            var spec = new VxlanSpec(options.DeviceName, options.Vni)
            {
                Local = external.PublicIp,
                Parent = external.Device,
                Port = options.Port,
                Learning = false,
                Mtu = mtu,
            };
            var device = VxlanDevice.Ensure(netlink, spec);
            var mac = device.Mac ?? throw new BackendException($"vxlan: {device.Name} has no MAC address");
            var data = new JsonObject
            {
                ["VNI"] = options.Vni,
                ["VtepMAC"] = MacAddress.Format(mac),
            };
            var lease = await acquireLease(new LeaseRequest(external.PublicIp, TypeName, data), cancellationToken).ConfigureAwait(false);
            if (lease.Subnet.BaseAddress.AddressFamily != AddressFamily.InterNetwork)
                throw new BackendException($"vxlan: the local lease {lease.Subnet} is not IPv4");
            var address = new InterfaceAddress(lease.Subnet.BaseAddress, 32);
            VxlanDevice.EnsureOnlyAddress(netlink, device.Name, address);
            // Restored as published: the other nodes' neighbour and FDB entries name this MAC.
            var published = spec with { Mac = mac };
            return new RouteNetwork(TypeName, netlink, config, lease, mtu, device.Name, ownsDevice: true,
                others => VxlanPlanner.Plan(config, lease, device.Name, others),
                restoreDevice: repairs =>
                {
                    VxlanDevice.Ensure(netlink, published, repairs);
                    VxlanDevice.EnsureOnlyAddress(netlink, published.Name, address, repairs);
                },
                log: log);
        }
        catch
        {
            netlink.Dispose();
            throw;
        }
    }
}
