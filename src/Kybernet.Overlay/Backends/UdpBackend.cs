using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Kybernet.Linux;
using Kybernet.Linux.Io;
using Kybernet.Linux.Netlink;
using Kybernet.Linux.Tun;
using Microsoft.Extensions.Logging;

namespace Kybernet.Overlay.Backends;

/// <summary>
/// flannel's udp backend: a TUN device "flannel0" that the whole pod network routes into, and a userspace proxy
/// that carries each IP packet in a UDP datagram to port 8285 of the node owning the destination's subnet.
/// As in flannel since v0.6, the device carries the local subnet's network address as a /32 (no broadcast or
/// prefix routes of its own) and an explicit route for the pod network (10.244.0.0/16 dev flannel0); the node's
/// own subnet stays on cni0 through its more specific route. The MTU is the underlay's minus 28 (outer IPv4 + UDP).
/// Nothing is published in the lease: every node listens on the same configured port.
/// </summary>
public sealed class UdpBackend(ExternalInterface external, ILogger? log = null) : IBackend
{
    public const string TypeName = "udp";

    /// <summary>Outer IPv4 (20) + UDP (8) headers.</summary>
    public const int Overhead = 28;

    public string Name => TypeName;

    public async Task<INetwork> RegisterNetworkAsync(NetworkConfig config, LeaseAcquirer acquireLease, CancellationToken cancellationToken = default)
    {
        var options = UdpOptions.From(config.Backend);
        var ns = external.Namespace;
        IpForwarding.Enable(ns);
        RtNetlink? netlink = null;
        TunDevice? tun = null;
        UdpSocket? socket = null;
        try
        {
            netlink = RtNetlink.Open(ns);
            int mtu = netlink.Links.Get(external.Device).Mtu - Overhead;
            tun = UdpDevice.Open(netlink, ns);
            UdpDevice.EnsureLink(netlink, mtu);
            var lease = await acquireLease(new LeaseRequest(external.PublicIp, TypeName, new JsonObject()), cancellationToken).ConfigureAwait(false);
            if (lease.Subnet.BaseAddress.AddressFamily != AddressFamily.InterNetwork)
                throw new BackendException($"udp: the local lease {lease.Subnet} is not IPv4");
            UdpDevice.EnsureAddressAndRoute(netlink, lease, config.Network);
            socket = OpenSocket(new IPEndPoint(external.PublicIp, options.Port));
            return new UdpNetwork(config, lease, mtu, options.Port, ns, netlink, tun, socket, log);
        }
        catch
        {
            socket?.Dispose();
            tun?.Dispose();
            netlink?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Socket buffers asked for (the kernel doubles them). Generous on purpose: with UDP_GRO one queued buffer is
    /// a whole train of ~44 segments, so an overflow while the receiving thread waits for a CPU costs TCP a whole
    /// window; 4 MiB overflowed on a busy 2-core machine. The memory is only held while the receiver is behind.
    /// </summary>
    public const int SocketBufferBytes = 32 << 20;

    /// <summary>The UDP socket is created inside the node's namespace, so it lives there wherever it is used; UDP_GRO on.</summary>
    private UdpSocket OpenSocket(IPEndPoint local)
    {
        try
        {
            return UdpSocket.Open(external.Namespace, local, gro: true, bufferBytes: SocketBufferBytes);
        }
        catch (LinuxException e)
        {
            throw new BackendException($"udp: {e.Message}");
        }
    }
}
