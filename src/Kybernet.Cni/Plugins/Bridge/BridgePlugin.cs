using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Kybernet.Cni.Protocol;
using Kybernet.Linux;
using Kybernet.Linux.Namespaces;
using Kybernet.Linux.Netlink;
using Kybernet.Linux.Nftables;

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
        using var host = RtNetlink.Open();
        using var inside = RtNetlink.Open(container);
        var hostVeth = HostVethName.For(env.ContainerId, env.IfName);
        var owner = IpMasquerade.Owner(request.Config.Name, env.ContainerId);
        var undo = new Stack<Action>();
        try
        {
            var bridge = EnsureBridge(host, config);

            if (inside.Links.Find(env.IfName) is not null)
                throw new CniException(CniErrorCode.KernelFailure, $"container veth name provided ({env.IfName}) already exists in {env.Netns}");
            host.Links.CreateVeth(new VethSpec(hostVeth, env.IfName) { PeerNamespace = container, Mtu = config.Mtu ?? bridge.Mtu });
            undo.Push(() => host.Links.DeleteIfExists(hostVeth));
            host.Links.SetMaster(hostVeth, config.Bridge);
            if (config.HairpinMode)
                host.Links.SetHairpin(hostVeth, true);
            if (config.Vlan != 0)
            {
                host.Links.AddPortVlan(hostVeth, config.Vlan);
                host.Links.DeletePortVlan(hostVeth, 1);
            }
            host.Links.SetUp(hostVeth);

            var ipam = DelegatedPlugin.Add(config.IpamType, request);
            undo.Push(() => DelegatedPlugin.Del(config.IpamType, request));
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
            if (config.IsGateway)
                ConfigureGateway(host, config, ips);

            var nft = new NftCli(NetworkNamespace.OpenCurrent());
            if (config.IpMasq)
            {
                undo.Push(() => IpMasquerade.Remove(nft, owner));
                nft.Apply(IpMasquerade.Add(owner, ips.Select(i => i.Address)));
            }
            var containerLink = inside.Links.Get(env.IfName);
            if (config.MacSpoofCheck)
            {
                undo.Push(() => MacSpoofCheck.Remove(nft, owner));
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
        catch
        {
            // Undo in reverse order; the first failure is what the runtime needs to hear about.
            while (undo.TryPop(out var step))
            {
                try { step(); }
                catch (Exception) { }
            }
            throw;
        }
    }

    public void Del(CniRequest request)
    {
        var config = BridgeConfig.Parse(request.Config);
        var env = request.Environment;
        // IPAM first, as the reference does: addresses are released even if the namespace is gone.
        DelegatedPlugin.Del(config.IpamType, request);

        if (env.Netns is not null && File.Exists(env.Netns))
        {
            using var container = NetworkNamespace.OpenPath(env.Netns);
            using var inside = RtNetlink.Open(container);
            inside.Links.DeleteIfExists(env.IfName); // takes the host end with it
        }
        using (var host = RtNetlink.Open())
            host.Links.DeleteIfExists(HostVethName.For(env.ContainerId, env.IfName));

        var owner = IpMasquerade.Owner(request.Config.Name, env.ContainerId);
        var nft = new NftCli(NetworkNamespace.OpenCurrent());
        if (config.IpMasq)
            IpMasquerade.Remove(nft, owner);
        if (config.MacSpoofCheck)
            MacSpoofCheck.Remove(nft, owner);
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
        // Tell the neighbours about the new address at once (what the reference sets too).
        Sysctl.Set(container, $"net/ipv4/conf/{ifName}/arp_notify", "1");
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

    private static IPAddress FirstHost(InterfaceAddress address)
    {
        var bytes = address.Network.BaseAddress.GetAddressBytes();
        bytes[^1] |= 1;
        return new IPAddress(bytes);
    }

    private static PhysicalAddress RandomLocalMac()
    {
        var bytes = new byte[6];
        Random.Shared.NextBytes(bytes);
        bytes[0] = (byte)((bytes[0] & 0xfe) | 0x02); // unicast, locally administered
        return new PhysicalAddress(bytes);
    }

    private static string? Mac(PhysicalAddress? mac) => mac is null ? null : MacAddress.Format(mac);
}
