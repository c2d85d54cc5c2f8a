using System.Net.Sockets;
using Kybernet.Linux.Netlink;

namespace Kybernet.Overlay.Backends;

/// <summary>
/// The network every kernel backend shares (flannel's route network): on each <see cref="Apply"/> it asks the
/// backend's pure planner for the desired entries, reads the entries it owns from the kernel, and applies
/// only the difference. It owns the routes on <see cref="Device"/> to subnets of the pod network other than
/// the local one; when it owns the device too (vxlan), also its permanent neighbours and its FDB entries
/// with a destination. Host-gw is this network with a planner that emits routes only.
/// </summary>
public sealed class RouteNetwork : INetwork
{
    private readonly RtNetlink _netlink;
    private readonly NetworkConfig _config;
    private readonly bool _ownsDevice;
    private readonly Func<IReadOnlyCollection<SubnetLease>, DesiredState> _plan;
    private readonly Lock _gate = new();

    public RouteNetwork(
        string backendType,
        RtNetlink netlink,
        NetworkConfig config,
        SubnetLease lease,
        int mtu,
        string device,
        bool ownsDevice,
        Func<IReadOnlyCollection<SubnetLease>, DesiredState> plan)
    {
        BackendType = backendType;
        _netlink = netlink;
        _config = config;
        Lease = lease;
        Mtu = mtu;
        Device = device;
        _ownsDevice = ownsDevice;
        _plan = plan;
    }

    public string BackendType { get; }
    public SubnetLease Lease { get; }
    public int Mtu { get; }

    /// <summary>The kernel carries the traffic: nothing of ours can stop on its own.</summary>
    public Task Failure { get; } = new TaskCompletionSource().Task;

    /// <summary>The device the routes leave by: the vxlan device, or the underlay device for host-gw.</summary>
    public string Device { get; }

    /// <summary>What <see cref="Apply"/> would change for these leases, without changing anything.</summary>
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
            var desired = _plan(others);
            var plan = ReconcilePlan.Between(ReadOwned(), desired.State);
            var problems = new List<string>(desired.Problems);
            // Removals first, routes before what they resolve through; then additions the other way round.
            foreach (var r in plan.RoutesToDelete)
                Try(problems, () => _netlink.Routes.Delete(ToRoute(r)));
            foreach (var n in plan.NeighboursToDelete)
                Try(problems, () => _netlink.Neighbours.Delete(new Neighbour(n.Address, n.Mac, n.Device)));
            foreach (var f in plan.FdbToDelete)
                Try(problems, () => _netlink.Fdb.Delete(new FdbEntry(f.Mac, f.Device) { Destination = f.Destination }));
            foreach (var f in plan.FdbToSet)
                Try(problems, () => _netlink.Fdb.Replace(new FdbEntry(f.Mac, f.Device) { Destination = f.Destination }));
            foreach (var n in plan.NeighboursToSet)
                Try(problems, () => _netlink.Neighbours.Replace(new Neighbour(n.Address, n.Mac, n.Device)));
            foreach (var r in plan.RoutesToSet)
                Try(problems, () => _netlink.Routes.Replace(ToRoute(r)));
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

    private static Route ToRoute(OverlayRoute r) => new(r.Destination) { Gateway = r.Gateway, Device = r.Device, OnLink = r.OnLink };

    private static void Try(List<string> problems, Action action)
    {
        try
        {
            action();
        }
        catch (Linux.LinuxException e)
        {
            problems.Add(e.Message);
        }
    }
}
