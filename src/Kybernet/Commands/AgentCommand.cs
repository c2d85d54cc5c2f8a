using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Kybernet.Linux.Namespaces;
using Kybernet.Linux.Netlink;
using Kybernet.Overlay.Agent;
using Kybernet.Overlay.Backends;
using Kybernet.Overlay.Subnets;
using Kybernet.Store.Etcd;

namespace Kybernet.Cli.Commands;

/// <summary>`kybernet agent`: the node agent; for now the overlay (flanneld), in the network namespace it is started in.</summary>
internal static class AgentCommand
{
    public static Command Create()
    {
        var endpoints = new Option<string>("--etcd-endpoints") { Description = "etcd client URLs, http://HOST:PORT[,...]", Required = true };
        var prefix = new Option<string>("--etcd-prefix") { Description = "Key prefix of the network config and leases", DefaultValueFactory = _ => "/coreos.com/network" };
        var iface = new Option<string>("--iface") { Description = "The underlay device overlay traffic leaves by", DefaultValueFactory = _ => "eth0" };
        var publicIp = new Option<string?>("--public-ip") { Description = "This node's address other nodes send to (default: the first IPv4 address of --iface)" };
        var subnetFile = new Option<string>("--subnet-file") { Description = "Where to write subnet.env", DefaultValueFactory = _ => SubnetEnv.DefaultPath };
        var ipMasq = new Option<bool>("--ip-masq") { Description = "Masquerade traffic leaving the pod network" };
        var leaseTtl = new Option<int>("--lease-ttl") { Description = "Lease lifetime without renewal, in seconds", DefaultValueFactory = _ => 24 * 3600 };
        var command = new Command("agent", "Run the node agent (the overlay: a subnet lease in etcd and the backend the network config names)")
        {
            endpoints, prefix, iface, publicIp, subnetFile, ipMasq, leaseTtl,
        };
        command.SetAction(async (parsed, cancel) =>
        {
            using var shutdown = ShutdownSignal.Link(cancel);
            var ct = shutdown.Token;
            try
            {
                return await Run(parsed, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Console.Error.WriteLine($"kybernet agent: {e.Message}");
                return 1;
            }
        });
        return command;

        async Task<int> Run(ParseResult parsed, CancellationToken ct)
        {
            using var node = NetworkNamespace.OpenCurrent();
            var device = parsed.GetValue(iface)!;
            IPAddress address;
            if (parsed.GetValue(publicIp) is { } text)
            {
                if (!IPAddress.TryParse(text, out address!) || address.AddressFamily != AddressFamily.InterNetwork)
                {
                    Console.Error.WriteLine($"kybernet agent: --public-ip \"{text}\" is not an IPv4 address");
                    return 1;
                }
            }
            else
            {
                using var netlink = RtNetlink.Open(node);
                var first = netlink.Addresses.List(device, AddressFamily.InterNetwork).FirstOrDefault();
                if (first is null)
                {
                    Console.Error.WriteLine($"kybernet agent: {device} has no IPv4 address in {node.Describe()}; give --public-ip");
                    return 1;
                }
                address = first.Address.Address;
            }

            await using var store = new EtcdStore(parsed.GetValue(endpoints)!);
            var subnets = new EtcdSubnetManager(store, new EtcdSubnetManagerOptions
            {
                Prefix = parsed.GetValue(prefix)!,
                LeaseTtl = TimeSpan.FromSeconds(parsed.GetValue(leaseTtl)),
            });
            await using var agent = await OverlayAgent.StartAsync(subnets, BackendRegistry.CreateDefault(), new OverlayAgentOptions
            {
                External = new ExternalInterface(node, device, address),
                SubnetFile = parsed.GetValue(subnetFile)!,
                IpMasq = parsed.GetValue(ipMasq),
                Log = Console.Out,
            }, ct);
            Console.WriteLine($"kybernet agent is up: subnet {agent.Lease.Subnet}, subnet.env at {Path.GetFullPath(parsed.GetValue(subnetFile)!)}");
            try
            {
                await agent.Completion.WaitAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            Console.WriteLine("kybernet agent is stopping (its lease stays)");
            return agent.Completion.IsFaulted ? 1 : 0;
        }
    }
}
