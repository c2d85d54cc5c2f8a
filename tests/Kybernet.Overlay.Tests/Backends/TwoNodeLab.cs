using System.Diagnostics;
using System.Net;
using Kybernet.Linux.Netlink;
using Kybernet.Overlay.Backends;

namespace Kybernet.Overlay.Tests.Backends;

/// <summary>
/// Two nodes on one L2 underlay, all in throwaway namespaces: an underlay namespace with bridge br0, two
/// node namespaces each with eth0 (192.168.200.1N/24, a veth into br0) and a bridge cni0 (10.244.N.1/24),
/// and one pod namespace per node (eth0 10.244.N.2/24 on cni0, default route via .1). Nothing is added to
/// the root namespace; disposing deletes every namespace and so every link.
/// </summary>
public sealed class TwoNodeLab : IDisposable
{
    private readonly List<TestNamespace> _all = [];

    public TwoNodeLab()
    {
        try
        {
            Underlay = Make();
            using (var u = RtNetlink.Open(Underlay))
            {
                u.Links.CreateBridge("br0");
                u.Links.SetUp("br0");
            }
            Node1 = new Node(this, 1);
            Node2 = new Node(this, 2);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public TestNamespace Underlay { get; } = null!;
    public Node Node1 { get; } = null!;
    public Node Node2 { get; } = null!;

    public static readonly IPNetwork UnderlaySubnet = IPNetwork.Parse("192.168.200.0/24");

    private TestNamespace Make()
    {
        var ns = new TestNamespace();
        _all.Add(ns);
        return ns;
    }

    /// <summary>Networks registered on the nodes: stopped (newest first) before the namespaces go.</summary>
    private readonly List<INetwork> _networks = [];

    /// <summary>Registers one backend per node (made by <paramref name="backend"/> for each node's underlay).</summary>
    public async Task<(INetwork One, INetwork Two)> RegisterBoth(Func<ExternalInterface, IBackend> backend, NetworkConfig config) =>
        (await Node1.Register(backend(Node1.External), config), await Node2.Register(backend(Node2.External), config));

    public void Dispose()
    {
        for (int i = _networks.Count - 1; i >= 0; i--)
            _networks[i].Dispose();
        foreach (var ns in _all)
            ns.Dispose();
    }

    public sealed class Node
    {
        private readonly TwoNodeLab _lab;

        public Node(TwoNodeLab lab, int n)
        {
            _lab = lab;
            Number = n;
            Namespace = lab.Make();
            Pod = lab.Make();
            PublicIp = IPAddress.Parse($"192.168.200.1{n}");
            Subnet = IPNetwork.Parse($"10.244.{n}.0/24");
            PodIp = IPAddress.Parse($"10.244.{n}.2");
            using (var u = RtNetlink.Open(lab.Underlay))
            {
                u.Links.CreateVeth(new VethSpec($"u{n}", "eth0") { PeerNamespace = Namespace });
                u.Links.SetMaster($"u{n}", "br0");
                u.Links.SetUp($"u{n}");
            }
            using (var node = RtNetlink.Open(Namespace))
            {
                node.Links.SetUp("lo");
                node.Addresses.Add("eth0", new InterfaceAddress(PublicIp, 24));
                node.Links.SetUp("eth0");
                node.Links.CreateBridge("cni0");
                node.Addresses.Add("cni0", new InterfaceAddress(IPAddress.Parse($"10.244.{n}.1"), 24));
                node.Links.SetUp("cni0");
                node.Links.CreateVeth(new VethSpec($"veth{n}", "eth0") { PeerNamespace = Pod });
                node.Links.SetMaster($"veth{n}", "cni0");
                node.Links.SetUp($"veth{n}");
            }
            using (var pod = RtNetlink.Open(Pod))
            {
                pod.Links.SetUp("lo");
                pod.Addresses.Add("eth0", new InterfaceAddress(PodIp, 24));
                pod.Links.SetUp("eth0");
                pod.Routes.Add(Route.Default(IPAddress.Parse($"10.244.{n}.1")));
            }
        }

        public int Number { get; }
        public TestNamespace Namespace { get; }
        public TestNamespace Pod { get; }
        public IPAddress PublicIp { get; }
        public IPNetwork Subnet { get; }
        public IPAddress PodIp { get; }

        public ExternalInterface External => new(Namespace, "eth0", PublicIp);

        /// <summary>Stands in for the subnet manager: grants this node its subnet with whatever data the backend publishes.</summary>
        public Task<SubnetLease> Acquire(LeaseRequest request, CancellationToken _) =>
            Task.FromResult(new SubnetLease(Subnet, request.PublicIp, request.BackendType, request.BackendData, DateTimeOffset.UtcNow.AddHours(24)));

        /// <summary>Registers <paramref name="backend"/> on this node and gives the pod side the network's MTU, as the CNI plugin would.</summary>
        public async Task<INetwork> Register(IBackend backend, NetworkConfig config)
        {
            var network = await backend.RegisterNetworkAsync(config, Acquire);
            _lab._networks.Add(network);
            using var node = RtNetlink.Open(Namespace);
            node.Links.SetMtu("cni0", network.Mtu);
            node.Links.SetMtu($"veth{Number}", network.Mtu);
            using var pod = RtNetlink.Open(Pod);
            pod.Links.SetMtu("eth0", network.Mtu);
            return network;
        }

        /// <summary>Pings from this node's pod; true when a reply came back.</summary>
        public bool Ping(IPAddress target, params string[] options)
        {
            var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in (string[])["netns", "exec", Pod.Name, "ping", "-c", "3", "-i", "0.2", "-W", "1", .. options, target.ToString()])
                psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            p.StandardOutput.ReadToEnd();
            p.StandardError.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0;
        }

        public string Ip(params string[] args) => Namespace.Ip(args).Trim();

        public string Bridge(params string[] args) => Tool.Run("ip", ["netns", "exec", Namespace.Name, "bridge", .. args]).Trim();

        /// <summary>
        /// Everything a backend may have changed, as iproute2 prints it, for comparing before and after (IPv4 only, and without
        /// what moves by itself: learned neighbours and bridge entries, bridge timers, IPv6 duplicate address detection).
        /// </summary>
        public string Snapshot() => string.Join("\n---\n", Ip("route"), Ip("neigh", "show", "nud", "permanent"), PermanentFdb(), Ip("link"), Ip("-4", "addr"));

        private string PermanentFdb() =>
            string.Join('\n', Bridge("fdb", "show").Split('\n').Where(l => l.Contains("permanent", StringComparison.Ordinal)));
    }
}
