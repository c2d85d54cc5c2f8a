using System.Net.Sockets;
using Kybernet.Linux;
using Kybernet.Linux.Netlink;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Overlay.Backends;

/// <summary>
/// The network every kernel backend shares (flannel's route network): on each <see cref="Apply"/> it first restores the
/// device it owns, if any (vxlan: the device with the MAC published in the lease, and its address), then asks the
/// backend's pure planner for the desired entries, reads the entries it owns from the kernel, and applies only the
/// difference. It owns the routes on <see cref="Device"/> to subnets of the pod network other than the local one; when
/// it owns the device too (vxlan), also its permanent neighbours and its FDB entries with a destination. Host-gw is
/// this network with a planner that emits routes only. Because every Apply re-reads the kernel, the agent's periodic
/// resync (an Apply with the same leases) is also its repair: what went missing is restored and logged as such.
/// </summary>
public sealed class RouteNetwork : INetwork
{
    private readonly RtNetlink _netlink;
    private readonly NetworkConfig _config;
    private readonly bool _ownsDevice;
    private readonly Func<IReadOnlyCollection<SubnetLease>, DesiredState> _plan;
    private readonly Action<ICollection<string>>? _restoreDevice;
    private readonly ILogger _log;
    private readonly Lock _gate = new();
    /// <summary>What the kernel held after the previous Apply, as far as this network knows: a missing entry of it is a repair.</summary>
    private OverlayState _expected = OverlayState.Empty;

    /// <param name="restoreDevice">
    /// Restores the device this network owns (and its address), adding what it repaired in words; null when the device is
    /// not ours (host-gw's underlay device).
    /// </param>
    public RouteNetwork(
        string backendType,
        RtNetlink netlink,
        NetworkConfig config,
        SubnetLease lease,
        int mtu,
        string device,
        bool ownsDevice,
        Func<IReadOnlyCollection<SubnetLease>, DesiredState> plan,
        Action<ICollection<string>>? restoreDevice = null,
        ILogger? log = null)
    {
        BackendType = backendType;
        _netlink = netlink;
        _config = config;
        Lease = lease;
        Mtu = mtu;
        Device = device;
        _ownsDevice = ownsDevice;
        _plan = plan;
        _restoreDevice = restoreDevice;
        _log = log ?? NullLogger.Instance;
    }

    public string BackendType { get; }
    public SubnetLease Lease { get; }
    public int Mtu { get; }

    /// <summary>The kernel carries the traffic: nothing of ours can stop on its own.</summary>
    public Task Failure { get; } = new TaskCompletionSource().Task;

    /// <summary>The device the routes leave by: the vxlan device, or the underlay device for host-gw.</summary>
    public string Device { get; }

    /// <summary>What <see cref="Apply"/> would change for these leases, without changing anything (the device aside).</summary>
    public (ReconcilePlan Plan, IReadOnlyList<string> Problems) Preview(IReadOnlyCollection<SubnetLease> others)
    {
        lock (_gate)
        {
            var desired = _plan(others);
            return (ReconcilePlan.Between(ReadOwned(), desired.State), desired.Problems);
        }
    }

    public void Apply(IReadOnlyCollection<SubnetLease> others)
    {
        lock (_gate)
        {
            RestoreDevice();
            var desired = _plan(others);
            var actual = ReadOwned();
            var problems = new List<string>(desired.Problems);
            bool failed = false;
            // Removals first, routes before what they resolve through; then additions the other way round.
            foreach (var change in OverlayChange.Of(ReconcilePlan.Between(actual, desired.State), actual, _expected))
            {
                try
                {
                    Carry(change);
                }
                catch (LinuxException e)
                {
                    problems.Add(e.Message);
                    failed = true;
                    continue;
                }
                if (change.IsRepair)
                    _log.LogInformation("{Change}", change.Text);
                else
                    _log.LogDebug("{Change}", change.Text);
            }
            _expected = failed ? ReadBackAfterFailure(desired.State) : desired.State;
            if (problems.Count > 0)
                throw new BackendException($"{BackendType}: apply {others.Count} leases on {Device}", problems);
        }
    }

    /// <summary>The entries this network owns in the kernel now.</summary>
    public OverlayState ReadOwned()
    {
        var routes = _netlink.Routes.List(Route.MainTable, AddressFamily.InterNetwork)
            .Where(r => r.Device == Device && r.Gateway is not null && r.Type == RouteType.Unicast
                        && RemoteLeases.Within(_config.Network, r.Destination) && !r.Destination.Equals(Lease.Subnet))
            .Select(r => new OverlayRoute(r.Destination, r.Gateway!, Device, r.OnLink))
            .ToList();
        if (!_ownsDevice)
            return new OverlayState(routes, [], []);
        var neighbours = _netlink.Neighbours.List(Device, AddressFamily.InterNetwork)
            .Where(n => n.IsPermanent && n.Mac is not null)
            .Select(n => new OverlayNeighbour(n.Address, n.Mac!, Device))
            .ToList();
        var fdb = _netlink.Fdb.List(Device)
            .Where(f => f.Self && f.Destination is not null)
            .Select(f => new OverlayFdbEntry(f.Mac, f.Destination!, Device))
            .ToList();
        return new OverlayState(routes, neighbours, fdb);
    }

    public void Dispose() => _netlink.Dispose();

    /// <summary>
    /// After a failed step the kernel is what it is: read it back, so the next Apply judges repairs against the truth. If
    /// even that fails, the desired state stands in (the failure is reported already; the next Apply reads again).
    /// </summary>
    private OverlayState ReadBackAfterFailure(OverlayState desired)
    {
        try
        {
            return ReadOwned();
        }
        catch (LinuxException)
        {
            return desired;
        }
    }

    /// <summary>The device first: every entry hangs off it. Without it nothing else can be applied, so its failure ends this Apply.</summary>
    private void RestoreDevice()
    {
        if (_restoreDevice is null)
            return;
        var repairs = new List<string>();
        try
        {
            _restoreDevice(repairs);
        }
        catch (LinuxException e)
        {
            throw new BackendException($"{BackendType}: restore {Device}", [e.Message]);
        }
        finally
        {
            foreach (var repair in repairs)
                _log.LogInformation("{Repair}", repair);
        }
    }

    private void Carry(OverlayChange change)
    {
        switch (change.Entry)
        {
            case OverlayRoute r when change.IsRemoval:
                _netlink.Routes.Delete(ToRoute(r));
                break;
            case OverlayRoute r:
                _netlink.Routes.Replace(ToRoute(r));
                break;
            case OverlayNeighbour n when change.IsRemoval:
                _netlink.Neighbours.Delete(new Neighbour(n.Address, n.Mac, n.Device));
                break;
            case OverlayNeighbour n:
                _netlink.Neighbours.Replace(new Neighbour(n.Address, n.Mac, n.Device));
                break;
            case OverlayFdbEntry f when change.IsRemoval:
                _netlink.Fdb.Delete(new FdbEntry(f.Mac, f.Device) { Destination = f.Destination });
                break;
            case OverlayFdbEntry f:
                _netlink.Fdb.Replace(new FdbEntry(f.Mac, f.Device) { Destination = f.Destination });
                break;
        }
    }

    private static Route ToRoute(OverlayRoute r) => new(r.Destination) { Gateway = r.Gateway, Device = r.Device, OnLink = r.OnLink };
}
