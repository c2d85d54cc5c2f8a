using System.Net;
using Kybernet.Linux.Io;
using Kybernet.Linux.Tun;

namespace Kybernet.Overlay.Backends;

/// <summary>
/// A registered udp overlay on one node: the TUN device, the UDP socket and the proxy between them. The kernel
/// state (address, route) is fixed at registration; <see cref="Apply"/> only swaps the proxy's lease table,
/// so it is cheap, idempotent and never touches the kernel. Disposing stops the proxy and closes the TUN, which
/// takes its address and route with it.
/// </summary>
public sealed class UdpNetwork : INetwork
{
    private readonly NetworkConfig _config;
    private readonly TunDevice _tun;
    private readonly UdpSocket _socket;
    private readonly UdpProxy _proxy;
    private readonly ushort _port;
    private int _disposed;

    internal UdpNetwork(NetworkConfig config, SubnetLease lease, int mtu, ushort port, TunDevice tun, UdpSocket socket)
    {
        _config = config;
        Lease = lease;
        Mtu = mtu;
        _port = port;
        _tun = tun;
        _socket = socket;
        _proxy = new UdpProxy(tun.Queue, socket, mtu);
    }

    public string BackendType => UdpBackend.TypeName;

    public SubnetLease Lease { get; }

    public int Mtu { get; }

    /// <summary>The TUN device's name ("flannel0").</summary>
    public string DeviceName => _tun.Name;

    /// <summary>Where this node receives encapsulated packets.</summary>
    public IPEndPoint LocalEndPoint => _socket.LocalEndPoint;

    /// <summary>The lease table the data path uses now.</summary>
    public UdpLeaseTable Table => _proxy.Table;

    public UdpProxyCounters Counters => _proxy.Counters;

    /// <summary>What stopped a data path thread, if one stopped on its own.</summary>
    public Exception? Fault => _proxy.Fault;

    public Task Failure => _proxy.Failure;

    public void Apply(IReadOnlyCollection<SubnetLease> others)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var problems = new List<string>();
        var usable = RemoteLeases.Select(_config.Network, Lease, BackendType, others, problems);
        var table = UdpLeaseTable.Build(usable.Select(l => (l.Subnet, new IPEndPoint(l.PublicIp, _port))));
        if (!table.SameAs(_proxy.Table))
            _proxy.Table = table;
        if (problems.Count > 0)
            throw new BackendException($"udp: apply leases on {DeviceName}", problems);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        try
        {
            _proxy.Dispose();
        }
        finally
        {
            _socket.Dispose();
            _tun.Dispose();
        }
    }
}
