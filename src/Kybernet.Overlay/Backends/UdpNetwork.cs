using System.Net;
using Kybernet.Linux;
using Kybernet.Linux.Io;
using Kybernet.Linux.Namespaces;
using Kybernet.Linux.Netlink;
using Kybernet.Linux.Tun;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Overlay.Backends;

/// <summary>
/// A registered udp overlay on one node: the TUN device, the UDP socket and the proxy between them. <see cref="Apply"/>
/// first restores the node's side (the device with its MTU, state, address and route into it), then swaps the proxy's
/// lease table when it differs; with nothing missing it changes nothing in the kernel.
/// A deleted flannel0 leaves its descriptor detached for good and the data path's threads stop on it (EBADFD): that is
/// not a failure of the node but a repair to make, so the next Apply creates the device again and starts new threads
/// over it (the socket and the lease table carry over). Any other stop of the data path faults <see cref="Failure"/>.
/// Disposing stops the proxy and closes the TUN, which takes its address and route with it.
/// </summary>
public sealed class UdpNetwork : INetwork
{
    private readonly NetworkConfig _config;
    private readonly NetworkNamespace _namespace;
    private readonly RtNetlink _netlink;
    private readonly UdpSocket _socket;
    private readonly ushort _port;
    private readonly ILogger _log;
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _failure = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TunDevice _tun;
    private UdpProxy _proxy;
    private int _disposed;

    /// <summary>Takes ownership of <paramref name="netlink"/>, <paramref name="tun"/> and <paramref name="socket"/>.</summary>
    internal UdpNetwork(NetworkConfig config, SubnetLease lease, int mtu, ushort port, NetworkNamespace ns, RtNetlink netlink, TunDevice tun, UdpSocket socket, ILogger? log)
    {
        _config = config;
        Lease = lease;
        Mtu = mtu;
        _port = port;
        _namespace = ns;
        _netlink = netlink;
        _tun = tun;
        _socket = socket;
        _log = log ?? NullLogger.Instance;
        _proxy = StartProxy(UdpLeaseTable.Empty);
    }

    public string BackendType => UdpBackend.TypeName;

    public SubnetLease Lease { get; }

    public int Mtu { get; }

    /// <summary>The TUN device's name ("flannel0").</summary>
    public string DeviceName => UdpDevice.Name;

    /// <summary>Where this node receives encapsulated packets.</summary>
    public IPEndPoint LocalEndPoint => _socket.LocalEndPoint;

    /// <summary>The lease table the data path uses now.</summary>
    public UdpLeaseTable Table => Volatile.Read(ref _proxy).Table;

    /// <summary>What the current data path did (a recreated device starts new counters).</summary>
    public UdpProxyCounters Counters => Volatile.Read(ref _proxy).Counters;

    /// <summary>What stopped a data path thread, if one stopped on its own.</summary>
    public Exception? Fault => Volatile.Read(ref _proxy).Fault;

    public Task Failure => _failure.Task;

    public void Apply(IReadOnlyCollection<SubnetLease> others)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            var problems = new List<string>();
            var usable = RemoteLeases.Select(_config.Network, Lease, BackendType, others, problems);
            var table = UdpLeaseTable.Build(usable.Select(l => (l.Subnet, new IPEndPoint(l.PublicIp, _port))));
            // The table first: it costs nothing, and a data path recreated below (or by a later Apply) starts with it.
            if (!table.SameAs(_proxy.Table))
                _proxy.Table = table;
            RestoreDevice(problems);
            if (problems.Count > 0)
                throw new BackendException($"udp: apply leases on {DeviceName}", problems);
        }
    }

    public void Dispose()
    {
        lock (_gate)
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
                _netlink.Dispose();
            }
        }
    }

    /// <summary>The device we hold, configured as registered; a new one (and a new data path) if ours was deleted. A failure is added to <paramref name="problems"/>.</summary>
    private void RestoreDevice(List<string> problems)
    {
        var repairs = new List<string>();
        try
        {
            if (!DeviceIsOurs())
            {
                RecreateDataPath();
                repairs.Add($"recreated {DeviceName} and the data path's threads: it had been deleted");
            }
            UdpDevice.EnsureLink(_netlink, Mtu, repairs);
            UdpDevice.EnsureAddressAndRoute(_netlink, Lease, _config.Network, repairs);
        }
        catch (LinuxException e)
        {
            problems.Add($"restore {DeviceName}: {e.Message}");
        }
        finally
        {
            foreach (var repair in repairs)
                _log.LogInformation("{Repair}", repair);
        }
    }

    /// <summary>Whether the link named flannel0 is still the one our descriptor created (same ifindex).</summary>
    private bool DeviceIsOurs() => _netlink.Links.Find(DeviceName)?.Index == _tun.Index;

    /// <summary>
    /// The old threads stop (they have already if they noticed) and the detached descriptor closes; a new device and new
    /// threads over it take their place, with the same socket and lease table. Called with the gate held.
    /// </summary>
    private void RecreateDataPath()
    {
        var table = _proxy.Table;
        _proxy.Dispose();
        _tun.Dispose();
        _tun = UdpDevice.Open(_netlink, _namespace);
        Volatile.Write(ref _proxy, StartProxy(table));
    }

    private UdpProxy StartProxy(UdpLeaseTable table)
    {
        var proxy = new UdpProxy(_tun.Queue, _socket, Mtu) { Table = table };
        proxy.Failure.ContinueWith(stopped => DataPathStopped(proxy, stopped.Exception!.InnerException!),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        return proxy;
    }

    /// <summary>
    /// A data path thread stopped on its own. If our device is gone, that is why: the next Apply (the agent's resync)
    /// recreates it. Otherwise the node cannot forward, and <see cref="Failure"/> says so.
    /// </summary>
    private void DataPathStopped(UdpProxy proxy, Exception error)
    {
        lock (_gate)
        {
            if (_disposed != 0 || !ReferenceEquals(proxy, _proxy))
                return; // stopping, or a data path already replaced: nothing left to report
            try
            {
                if (!DeviceIsOurs())
                {
                    _log.LogWarning("{Device} was deleted, and the data path stopped with it ({Error}); the next resync recreates both", DeviceName, error.Message);
                    return;
                }
            }
            catch (LinuxException e)
            {
                _log.LogWarning("could not tell whether {Device} still exists: {Error}", DeviceName, e.Message);
            }
        }
        _failure.TrySetException(error);
    }
}
