using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Kybernet.Cni.Protocol;
using Kybernet.Linux;
using Kybernet.Linux.Namespaces;
using Kybernet.Linux.Netlink;
using Kybernet.Linux.Nftables;
using Kybernet.Net;

namespace Kybernet.Cni.Plugins.Bridge;

/// <summary>
/// kybernet-bridge: the article's pod network. A veth pair per container, the host end a port of
/// the node's bridge, the other end born inside the container's namespace as CNI_IFNAME, with the
/// addresses and routes the IPAM plugin hands out. Config keys and result shape follow the
/// reference bridge plugin; ipMasq and macspoofchk use nftables.
/// </summary>
public sealed class BridgePlugin : ICniPlugin
{
    public string Name => "kybernet-bridge";

    public CniResult Add(CniRequest request)
    {
        var config = BridgeConfig.Parse(request.Config);
        var env = request.Environment;
        using var container = OpenContainer(env.Netns!);
        // IPAM runs while the veth is built: its process start-up is most of an ADD's time.
        var pendingIpam = DelegatedPlugin.StartAdd(config.IpamType, request);
        CniTrace.Mark($"{config.IpamType} started");
        var undo = new Stack<Action>();
        undo.Push(() =>
        {
            try { pendingIpam.Wait(); }
            finally { DelegatedPlugin.Del(config.IpamType, request); }
        });
        try
        {
            return Attach(request, config, container, pendingIpam, undo);
        }
        catch
        {
            // Undo in reverse order; the first failure is what the runtime needs to hear about.
            while (undo.TryPop(out var step))
            {
                try { step(); }
                catch (Exception e)
                {
                    // Not the runtime's answer (that is the ADD's own failure), but what may have been left behind.
                    Console.Error.WriteLine($"kybernet-bridge: undoing a failed ADD of {request.Environment.ContainerId}: {e.Message}");
                }
            }
            throw;
        }
    }

    /// <summary>ADD's steps; each one that leaves something behind pushes its own undo first.</summary>
    private static CniResult Attach(CniRequest request, BridgeConfig config, NetworkNamespace container, RunningPlugin pendingIpam, Stack<Action> undo)
    {
        var env = request.Environment;
        using var host = RtNetlink.Open();
        using var inside = RtNetlink.Open(container);
        using var hereNamespace = NetworkNamespace.OpenCurrent();
        var hostVeth = HostVethName.For(env.ContainerId, env.IfName);
        var owner = IpMasquerade.Owner(request.Config.Name, env.ContainerId);
        var nft = new NftCli(hereNamespace);
        var bridge = EnsureBridge(host, config);

        if (inside.Links.Find(env.IfName) is not null)
            throw new CniException(CniErrorCode.KernelFailure, $"container veth name provided ({env.IfName}) already exists in {env.Netns}");
        host.Links.CreateVeth(new VethSpec(hostVeth, env.IfName) { PeerNamespace = container, Mtu = config.Mtu ?? bridge.Mtu });
        undo.Push(() =>
        {
            using var nl = RtNetlink.Open();
            nl.Links.DeleteIfExists(hostVeth);
        });
        host.Links.SetMaster(hostVeth, config.Bridge);
        // The host end is a bridge port, not a router's uplink: no router advertisements on it.
        Sysctl.Set(hereNamespace, $"net/ipv6/conf/{hostVeth}/accept_ra", "0");
        if (config.HairpinMode)
            host.Links.SetHairpin(hostVeth, true);
        if (config.Vlan != 0)
        {
            host.Links.AddPortVlan(hostVeth, config.Vlan);
            host.Links.DeletePortVlan(hostVeth, 1);
        }
        host.Links.SetUp(hostVeth);
        CniTrace.Mark($"veth {hostVeth} on {config.Bridge}");

        var ipam = pendingIpam.Result();
        CniTrace.Mark($"{config.IpamType} answered");
        if (ipam.Ips.Count == 0)
            throw new CniException(CniErrorCode.InvalidConfig, $"IPAM plugin {config.IpamType} returned no IP addresses");

        var ips = ipam.Ips.Select(ip => ip with { Interface = 2, Gateway = ip.Gateway ?? (config.IsGateway ? FirstHost(ip.Address) : null) }).ToList();
        var routes = ipam.Routes.ToList();
        if (config.IsDefaultGateway)
            foreach (var ip in ips.Where(ip => ip.Gateway is not null))
            {
                var any = new IPNetwork(ip.Address.Family == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
                if (!routes.Any(r => r.Destination == any))
                    routes.Add(new CniRoute(any) { Gateway = ip.Gateway });
            }

        ConfigureContainer(inside, container, env.IfName, ips, routes);
        CniTrace.Mark($"{env.IfName} configured");
        if (config.IsGateway)
            ConfigureGateway(host, config, ips);

        if (config.IpMasq)
        {
            undo.Push(() => IpMasquerade.Remove(new NftCli(NetworkNamespace.OpenCurrent()), owner));
            nft.Apply(IpMasquerade.Add(owner, ips.Select(i => i.Address)));
        }
        var containerLink = inside.Links.Get(env.IfName);
        if (config.MacSpoofCheck)
        {
            undo.Push(() => MacSpoofCheck.Remove(new NftCli(NetworkNamespace.OpenCurrent()), owner));
            nft.Apply(MacSpoofCheck.Add(owner, hostVeth, MacAddress.Format(containerLink.Mac!)));
        }

        return new CniResult
        {
            Interfaces =
            [
                new CniInterface(config.Bridge) { Mac = Mac(host.Links.Get(config.Bridge).Mac) },
                new CniInterface(hostVeth) { Mac = Mac(host.Links.Get(hostVeth).Mac) },
                new CniInterface(env.IfName) { Mac = Mac(containerLink.Mac), Sandbox = env.Netns },
            ],
            Ips = ips,
            Routes = routes,
            Dns = ipam.Dns,
        };
    }

    public void Del(CniRequest request)
    {
        var config = BridgeConfig.Parse(request.Config);
        var env = request.Environment;
        // The veth goes first, on a thread of its own: deleting it waits in the kernel for an RCU
        // barrier (15-20 ms here). IPAM releases the addresses during that wait, but only once the
        // kernel had a head start: a process exec'd just before the barrier queues RCU callbacks the
        // barrier must wait for too, which cost ~2 ms per DEL on average (see docs/benchmarks.md).
        Exception? deleteFailure = null;
        var deletion = new Thread(() =>
        {
            try { DeleteVeth(env); }
            catch (Exception e) { deleteFailure = e; }
        })
        { IsBackground = true, Name = "kybernet-bridge-del" };
        deletion.Start();
        deletion.Join(KernelHeadStart);
        var ipamDel = DelegatedPlugin.Start(config.IpamType, "DEL", request);
        CniTrace.Mark($"{config.IpamType} started");
        try
        {
            ipamDel.Wait();
            CniTrace.Mark($"{config.IpamType} answered");
        }
        finally
        {
            deletion.Join();
            CniTrace.Mark($"{env.IfName} deleted");
        }
        if (deleteFailure is not null)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(deleteFailure);

        var owner = IpMasquerade.Owner(request.Config.Name, env.ContainerId);
        var nft = new NftCli(NetworkNamespace.OpenCurrent());
        if (config.IpMasq)
            IpMasquerade.Remove(nft, owner);
        if (config.MacSpoofCheck)
            MacSpoofCheck.Remove(nft, owner);
    }

    private static readonly TimeSpan KernelHeadStart = TimeSpan.FromMilliseconds(2);

    /// <summary>The container's interface by name (taking our host end with it), or our host end if the namespace is gone.</summary>
    private static void DeleteVeth(CniEnvironment env)
    {
        if (env.Netns is not null && File.Exists(env.Netns))
        {
            using var container = NetworkNamespace.OpenPath(env.Netns);
            using var inside = RtNetlink.Open(container);
            inside.Links.DeleteIfExists(env.IfName);
        }
        using var host = RtNetlink.Open();
        host.Links.DeleteIfExists(HostVethName.For(env.ContainerId, env.IfName));
    }

    public void Check(CniRequest request)
    {
        var config = BridgeConfig.Parse(request.Config);
        var env = request.Environment;
        var expected = request.Config.PrevResult
            ?? throw new CniException(CniErrorCode.InvalidConfig, "CHECK needs prevResult: the result of the ADD being checked");
        DelegatedPlugin.Check(config.IpamType, request);

        using var container = OpenContainer(env.Netns!);
        using var inside = RtNetlink.Open(container);
        using var host = RtNetlink.Open();
        var link = inside.Links.Find(env.IfName)
            ?? throw new CniException(CniErrorCode.UnknownContainer, $"interface {env.IfName} is missing from {env.Netns}");
        if (link.Kind != "veth")
            throw new CniException(CniErrorCode.KernelFailure, $"{env.IfName} in {env.Netns} is a {link.Kind ?? "device"}, not a veth");

        int containerIndex = expected.Interfaces.ToList().FindIndex(i => i.Name == env.IfName && i.Sandbox is not null);
        var addresses = inside.Addresses.List(env.IfName).Select(a => a.Address).ToHashSet();
        foreach (var ip in expected.Ips.Where(ip => ip.Interface == containerIndex))
            if (!addresses.Contains(ip.Address))
                throw new CniException(CniErrorCode.KernelFailure, $"address {ip.Address} is missing from {env.IfName} in {env.Netns}");

        var routes = inside.Routes.List(family: AddressFamily.InterNetwork).Concat(inside.Routes.List(family: AddressFamily.InterNetworkV6)).ToList();
        foreach (var route in expected.Routes)
            if (!routes.Any(r => r.Destination == route.Destination && (route.Gateway is null || route.Gateway.Equals(r.Gateway))))
                throw new CniException(CniErrorCode.KernelFailure, $"route {route.Destination}{(route.Gateway is null ? "" : $" via {route.Gateway}")} is missing in {env.Netns}");

        var hostVeth = HostVethName.For(env.ContainerId, env.IfName);
        var bridge = host.Links.Find(config.Bridge) ?? throw new CniException(CniErrorCode.KernelFailure, $"bridge {config.Bridge} is missing");
        var port = host.Links.Find(hostVeth) ?? throw new CniException(CniErrorCode.KernelFailure, $"host veth {hostVeth} is missing");
        if (port.MasterIndex != bridge.Index)
            throw new CniException(CniErrorCode.KernelFailure, $"host veth {hostVeth} is not a port of {config.Bridge}");

        var nft = new NftCli(NetworkNamespace.OpenCurrent());
        var owner = IpMasquerade.Owner(request.Config.Name, env.ContainerId);
        if (config.IpMasq && IpMasquerade.Find(nft, owner).Count == 0)
            throw new CniException(CniErrorCode.KernelFailure, $"masquerade rules for container {env.ContainerId} are missing");
        if (config.MacSpoofCheck && !MacSpoofCheck.Has(nft, owner))
            throw new CniException(CniErrorCode.KernelFailure, $"MAC spoof check for {hostVeth} is missing");
    }

    public void Status(CniRequest request)
    {
        var config = BridgeConfig.Parse(request.Config);
        DelegatedPlugin.Status(config.IpamType, request);
    }

    /// <summary>Passes GC to IPAM, then drops masquerade and spoof-check elements of containers no longer attached.</summary>
    public void Gc(CniRequest request)
    {
        var config = BridgeConfig.Parse(request.Config);
        DelegatedPlugin.Gc(config.IpamType, request);
        var valid = ValidAttachments.Parse(request.Config).Select(a => IpMasquerade.Owner(request.Config.Name, a.ContainerId)).ToHashSet();
        var nft = new NftCli(NetworkNamespace.OpenCurrent());
        foreach (var owner in IpMasquerade.Owners(nft).Where(o => o.StartsWith(request.Config.Name + " ", StringComparison.Ordinal) && !valid.Contains(o)))
        {
            IpMasquerade.Remove(nft, owner);
            MacSpoofCheck.Remove(nft, owner);
        }
    }

    private static NetworkNamespace OpenContainer(string netns)
    {
        try { return NetworkNamespace.OpenPath(netns); }
        catch (LinuxException e) when (e.ErrorName is "ENOENT")
        {
            throw new CniException(CniErrorCode.UnknownContainer, $"failed to open netns \"{netns}\": it does not exist");
        }
    }

    /// <summary>The bridge exists, is a bridge, is up, with a fixed MAC (a bridge otherwise copies its lowest port's, which changes).</summary>
    private static LinkInfo EnsureBridge(RtNetlink host, BridgeConfig config)
    {
        var bridge = host.Links.Find(config.Bridge);
        if (bridge is null)
        {
            try
            {
                host.Links.CreateBridge(config.Bridge, config.Mtu, RandomLocalMac());
                if (config.Vlan != 0)
                    host.Links.SetVlanFiltering(config.Bridge, true);
            }
            catch (LinuxException e) when (e.ErrorName is "EEXIST") { } // another ADD made it first
            bridge = host.Links.Get(config.Bridge);
        }
        else if (bridge.Kind != "bridge")
            throw new CniException(CniErrorCode.InvalidConfig, $"{config.Bridge} already exists but is not a bridge (it is a {bridge.Kind ?? "device"})");
        if (config.PromiscMode && !bridge.IsPromiscuous)
            host.Links.SetPromiscuous(config.Bridge, true);
        if (!bridge.IsUp)
            host.Links.SetUp(config.Bridge);
        return bridge;
    }

    private static void ConfigureContainer(RtNetlink inside, NetworkNamespace container, string ifName, List<CniIp> ips, List<CniRoute> routes)
    {
        foreach (var ip in ips)
            inside.Addresses.Add(ifName, ip.Address);
        // Tell the neighbours about the new address at once, and skip IPv6 duplicate address
        // detection on a link whose only other end is ours (both as the reference does).
        Sysctl.Set(container, [($"net/ipv4/conf/{ifName}/arp_notify", "1"), ($"net/ipv6/conf/{ifName}/accept_dad", "0")]);
        inside.Links.SetUp(ifName);
        foreach (var route in routes)
        {
            var family = route.Destination.BaseAddress.AddressFamily;
            var gateway = route.Gateway ?? ips.FirstOrDefault(i => i.Address.Family == family)?.Gateway;
            inside.Routes.Add(new Route(route.Destination) { Gateway = gateway, Device = ifName });
        }
    }

    /// <summary>The gateway address on the bridge (and forwarding on), unless the bridge already has another.</summary>
    private static void ConfigureGateway(RtNetlink host, BridgeConfig config, List<CniIp> ips)
    {
        var existing = host.Addresses.List(config.Bridge);
        foreach (var ip in ips.Where(i => i.Gateway is not null))
        {
            var wanted = new InterfaceAddress(ip.Gateway!, ip.Address.PrefixLength);
            if (existing.Any(a => a.Address == wanted))
                continue;
            foreach (var other in existing.Where(a => a.Address.Family == wanted.Family && a.Address.Network == wanted.Network))
            {
                if (!config.ForceAddress)
                    throw new CniException(CniErrorCode.InvalidConfig,
                        $"{config.Bridge} already has an IP address different from {wanted} ({other.Address}); set forceAddress to replace it");
                host.Addresses.Delete(config.Bridge, other.Address);
            }
            try { host.Addresses.Add(config.Bridge, wanted); }
            catch (LinuxException e) when (e.ErrorName is "EEXIST") { } // a concurrent ADD added it
            var key = wanted.Family == AddressFamily.InterNetwork ? "net.ipv4.ip_forward" : "net.ipv6.conf.all.forwarding";
            using var here = NetworkNamespace.OpenCurrent();
            if (Sysctl.Get(here, key) != "1")
                Sysctl.Set(here, key, "1");
        }
    }

    private static IPAddress FirstHost(InterfaceAddress address) => IpNumbers.FirstHost(address.Network);

    private static PhysicalAddress RandomLocalMac()
    {
        var bytes = new byte[6];
        Random.Shared.NextBytes(bytes);
        bytes[0] = (byte)((bytes[0] & 0xfe) | 0x02); // unicast, locally administered
        return new PhysicalAddress(bytes);
    }

    private static string? Mac(PhysicalAddress? mac) => mac is null ? null : MacAddress.Format(mac);
}
