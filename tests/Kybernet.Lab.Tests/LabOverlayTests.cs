using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Kybernet.Linux.Namespaces;
using Kybernet.Linux.Netlink;

namespace Kybernet.Lab.Tests;

/// <summary>
/// The whole overlay as a user runs it: `lab up --backend B` (etcd in the control plane, the real agent
/// in every node) and pods attached by the real CNI plugins, for each of flannel's three backends.
/// </summary>
public sealed class LabOverlayTests
{
    public static readonly TheoryData<string> Backends = new(LabTopology.Backends.ToArray());

    [Theory]
    [MemberData(nameof(Backends))]
    public void Pods_on_different_nodes_talk_icmp_tcp_and_udp_up_to_the_mtu(string backend)
    {
        using var lab = new OverlayLab(backend, nodes: 3);
        var a = lab.AddPod("node-1", "a");
        var b = lab.AddPod("node-2", "b");
        var c = lab.AddPod("node-3", "c");
        Assert.True(lab.Subnet("node-1").Contains(a.Address.Address), $"{a.Address} is in node-1's subnet {lab.Subnet("node-1")}");
        Assert.Equal(3, new[] { a, b, c }.Select(p => lab.Subnet(p.Node)).Distinct().Count());

        // ICMP, each way, and to the third node's pod.
        Assert.True(OverlayLab.PingEventually(a.Namespace, b.Address.Address), $"a -> b over {backend}");
        Assert.True(OverlayLab.PingEventually(b.Namespace, a.Address.Address), $"b -> a over {backend}");
        Assert.True(OverlayLab.PingEventually(c.Namespace, a.Address.Address), $"c -> a over {backend}");

        // 1400-byte packets, and the overlay MTU's edge with DF set: the largest packet passes whole, one
        // byte more cannot leave the pod (its eth0 has the overlay's MTU: underlay minus encapsulation).
        int mtu = lab.Mtu("node-1");
        Assert.Equal(backend switch { "vxlan" => 1450, "udp" => 1472, _ => 1500 }, mtu);
        Assert.True(OverlayLab.Ping(a.Namespace, b.Address.Address, payload: 1400 - 28), "1400-byte packet");
        Assert.True(OverlayLab.Ping(a.Namespace, b.Address.Address, payload: mtu - 28, dontFragment: true), $"{mtu}-byte packet with DF");
        Assert.False(OverlayLab.Ping(a.Namespace, b.Address.Address, payload: mtu - 27, dontFragment: true), $"{mtu + 1}-byte packet with DF");

        // TCP: 4 MiB each way, byte for byte.
        var (client, server) = OverlayLab.Connect(a, b, 5001);
        using (client)
        using (server)
        {
            var data = RandomNumberGenerator.GetBytes(4 << 20);
            Assert.Equal(SHA256.HashData(data), SHA256.HashData(OverlayLab.Transfer(client, server, data)));
            Assert.Equal(SHA256.HashData(data), SHA256.HashData(OverlayLab.Transfer(server, client, data)));
        }

        // UDP: a 1400-byte datagram and one at the MTU edge, answered.
        using var listener = OverlayLab.SocketIn(c.Namespace, SocketType.Dgram, ProtocolType.Udp);
        listener.Bind(new IPEndPoint(c.Address.Address, 5002));
        listener.ReceiveTimeout = 10_000;
        using var sender = OverlayLab.SocketIn(a.Namespace, SocketType.Dgram, ProtocolType.Udp);
        sender.ReceiveTimeout = 10_000;
        foreach (var size in new[] { 1400 - 28, mtu - 28 })
        {
            var datagram = RandomNumberGenerator.GetBytes(size);
            sender.SendTo(datagram, new IPEndPoint(c.Address.Address, 5002));
            var buffer = new byte[65536];
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            int n = listener.ReceiveFrom(buffer, ref from);
            Assert.Equal(datagram, buffer[..n]);
            Assert.Equal(a.Address.Address, ((IPEndPoint)from).Address);
            listener.SendTo(buffer.AsSpan(0, n), from);
            Assert.Equal(n, sender.Receive(buffer));
        }

        // A pod reaches another node's own address, and the lab's external client (masqueraded as its node).
        Assert.True(OverlayLab.Ping(a.Namespace, lab.Topology.Machine("node-3").Address.Address), "a -> node-3");
        Assert.True(OverlayLab.Ping(a.Namespace, lab.Topology.Machine("external").Address.Address), "a -> external");
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void A_restarted_agent_keeps_its_subnet_and_existing_connections(string backend)
    {
        using var lab = new OverlayLab(backend);
        var a = lab.AddPod("node-1", "a");
        var b = lab.AddPod("node-2", "b");
        Assert.True(OverlayLab.PingEventually(a.Namespace, b.Address.Address));
        var subnet = lab.Subnet("node-1");
        var (client, server) = OverlayLab.Connect(a, b, 5003);
        using (client)
        using (server)
        {
            var before = RandomNumberGenerator.GetBytes(64 << 10);
            Assert.Equal(before, OverlayLab.Transfer(client, server, before));

            lab.RestartAgent("node-1");

            Assert.Equal(subnet, lab.Subnet("node-1"));
            // The same connection goes on (TCP retransmits over any moment the node was re-plumbing).
            var after = RandomNumberGenerator.GetBytes(1 << 20);
            Assert.Equal(after, OverlayLab.Transfer(client, server, after));
            Assert.Equal(after, OverlayLab.Transfer(server, client, after));
        }
        Assert.True(OverlayLab.Ping(b.Namespace, a.Address.Address));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void A_node_that_leaves_loses_its_lease_everywhere_and_rejoins_with_the_same_subnet(string backend)
    {
        // Short enough to watch expire, long enough that a busy machine never costs a live node its lease
        // (renewal starts a third before the end, retrying every 0.4 s).
        using var lab = new OverlayLab(backend, leaseTtl: TimeSpan.FromSeconds(9));
        var a = lab.AddPod("node-1", "a");
        var b = lab.AddPod("node-2", "b");
        Assert.True(OverlayLab.PingEventually(a.Namespace, b.Address.Address));
        var subnet = lab.Subnet("node-2");
        var key = $"/coreos.com/network/subnets/{subnet.BaseAddress}-{subnet.PrefixLength}";

        // A crash: nothing renews the lease, so etcd expires it and node-1 drops its path to the subnet.
        lab.StopAgent("node-2", kill: true);
        Assert.True(Eventually(() => Etcdctl(lab, "get", "--print-value-only", key) == "", TimeSpan.FromSeconds(30)), $"{key} expires");
        Assert.True(Eventually(() => lab.Lab.Agents.LogTail("node-1", 50).Contains($"subnet removed: {subnet}"), TimeSpan.FromSeconds(10)), $"node-1's agent removes {subnet}");
        if (backend != "udp") // udp keeps one route to the whole network on flannel0; its lease table is inside the agent
            Assert.False(RoutesTo(lab, "node-1", subnet), $"node-1 drops its route to {subnet}");
        Assert.False(OverlayLab.Ping(a.Namespace, b.Address.Address), "b is unreachable while its node is gone");

        // Back: the agent asks for the subnet in its subnet.env, gets it, and every path returns for the pod that stayed.
        lab.RestartAgent("node-2");
        Assert.Equal(subnet, lab.Subnet("node-2"));
        Assert.Contains("\"PublicIP\":\"192.168.200.12\"", Etcdctl(lab, "get", "--print-value-only", key));
        Assert.True(OverlayLab.PingEventually(a.Namespace, b.Address.Address), "a -> b after the rejoin");
        Assert.True(OverlayLab.Ping(b.Namespace, a.Address.Address), "b -> a after the rejoin");
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void With_one_etcd_member_of_three_killed_pods_and_agents_carry_on(string backend)
    {
        using var lab = new OverlayLab(backend, nodes: 3, etcdMembers: 3);
        var a = lab.AddPod("node-1", "a");
        var b = lab.AddPod("node-2", "b");
        Assert.True(OverlayLab.PingEventually(a.Namespace, b.Address.Address));

        var victim = lab.Topology.Etcd[0];
        Assert.True(Kybernet.Linux.Processes.Signals.Send(victim.Pid, Kybernet.Linux.Processes.Signals.SIGKILL));
        Assert.True(Eventually(() => !lab.Lab.Etcd.IsRunning(victim), TimeSpan.FromSeconds(5)));

        // The data path does not depend on etcd; the control path needs a quorum, which two members keep.
        Assert.True(OverlayLab.Ping(a.Namespace, b.Address.Address), "a -> b with a member gone");
        lab.RestartAgent("node-3");
        var c = lab.AddPod("node-3", "c");
        Assert.True(OverlayLab.PingEventually(a.Namespace, c.Address.Address), "a -> c, on the node whose agent started without the member");
        Assert.True(OverlayLab.Ping(c.Namespace, b.Address.Address), "c -> b");
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void In_kube_mode_the_nodes_podcidrs_are_the_subnets_and_pods_talk_across(string backend)
    {
        using var lab = new OverlayLab(backend, subnetManager: "kube");
        var server = lab.Lab.Server;

        // The server's node IPAM gave each registered Node a podCIDR; each agent took it and published flannel's annotations.
        var nodes = server.Kubectl(lab.Topology, null, "get", "nodes", "-o",
            "jsonpath={range .items[*]}{.metadata.name} {.spec.podCIDR} {.metadata.annotations.flannel\\.alpha\\.coreos\\.com/public-ip} {.metadata.annotations.flannel\\.alpha\\.coreos\\.com/backend-type}{\"\\n\"}{end}");
        Assert.Equal(
            [$"node-1 {lab.Subnet("node-1")} 192.168.200.11 {backend}", $"node-2 {lab.Subnet("node-2")} 192.168.200.12 {backend}"],
            nodes.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()));

        // Each agent did that as its node (system:node:NAME, its own kubeconfig), not as the admin.
        foreach (var node in new[] { "node-1", "node-2" })
            Assert.Contains($"user: system:node:{node}", File.ReadAllText(lab.Lab.Agents.KubeconfigPath(node)));

        var a = lab.AddPod("node-1", "a");
        var b = lab.AddPod("node-2", "b");
        Assert.True(OverlayLab.PingEventually(a.Namespace, b.Address.Address), $"a -> b over {backend}, kube mode");
        Assert.True(OverlayLab.Ping(b.Namespace, a.Address.Address, payload: lab.Mtu("node-2") - 28, dontFragment: true), "b -> a at the MTU edge");
        var (client, accepted) = OverlayLab.Connect(a, b, 5004);
        using (client)
        using (accepted)
        {
            var data = RandomNumberGenerator.GetBytes(1 << 20);
            Assert.Equal(data, OverlayLab.Transfer(client, accepted, data));
        }

        // A node deleted from the API is a lease gone: node-1's agent drops node-2's subnet.
        server.Kubectl(lab.Topology, null, "delete", "node", "node-2");
        Assert.True(Eventually(() => lab.Lab.Agents.LogTail("node-1", 50).Contains($"subnet removed: {lab.Subnet("node-2")}"), TimeSpan.FromSeconds(15)), "node-1 drops node-2's subnet");
    }

    [Fact]
    public void Switching_backends_on_restart_leaves_nothing_of_the_old_one()
    {
        using var lab = new OverlayLab("vxlan");
        var a = lab.AddPod("node-1", "a");
        var b = lab.AddPod("node-2", "b");
        Assert.True(OverlayLab.PingEventually(a.Namespace, b.Address.Address));
        var subnets = new[] { lab.Subnet("node-1"), lab.Subnet("node-2") };

        foreach (var backend in new[] { "udp", "host-gw", "vxlan" })
        {
            lab.SwitchBackend(backend);

            Assert.Equal(subnets, new[] { lab.Subnet("node-1"), lab.Subnet("node-2") });
            foreach (var node in new[] { "node-1", "node-2" })
            {
                // Each agent applies the other's lease moments after it is up (its first watch batch): wait for it, bounded.
                var remote = subnets.Single(s => s != lab.Subnet(node));
                string seen = "";
                Assert.True(Eventually(() => OnlyTheBackendsState(lab, node, backend, remote, out seen), TimeSpan.FromSeconds(15)), $"{backend}, {node}: {seen}");
            }
            Assert.True(OverlayLab.PingEventually(a.Namespace, b.Address.Address), $"a -> b over {backend}");
            Assert.True(OverlayLab.Ping(b.Namespace, a.Address.Address, payload: 1400 - 28), $"b -> a, 1400 bytes over {backend}");
        }
    }

    [Fact]
    public void Pods_are_refused_clearly_and_deleted_without_a_trace()
    {
        using var lab = new OverlayLab("vxlan", nodes: 1);
        var a = lab.AddPod("node-1", "a");
        Assert.Contains("already has a pod", Assert.Throws<LabException>(() => lab.AddPod("node-1", "a")).Message);
        Assert.Contains("pods run on nodes", Assert.Throws<LabException>(() => lab.AddPod("cp", "x")).Message);
        Assert.Contains("invalid pod name", Assert.Throws<LabException>(() => lab.AddPod("node-1", "Bad_Name")).Message);
        Assert.Contains("no machine", Assert.Throws<LabException>(() => lab.AddPod("node-9", "y")).Message);

        using var node = NetworkNamespace.Open(lab.Topology.Machine("node-1").Namespace);
        using var netlink = RtNetlink.Open(node);
        var links = netlink.Links.List().Select(l => l.Name).ToHashSet();
        // host-local's record of the address (DATA/nodes/NODE/ipam/NETWORK/IP), as the reference plugin keeps it.
        var reservation = Path.Combine(lab.Lab.Agents.NodeDirectory("node-1"), "ipam", "kybernet", a.Address.Address.ToString());
        Assert.True(File.Exists(reservation), reservation);

        lab.Lab.DeletePod(lab.Name, "a");

        Assert.False(NetworkNamespace.Exists(a.Namespace));
        Assert.Single(links.Except(netlink.Links.List().Select(l => l.Name)));  // its veth's host end
        Assert.False(File.Exists(reservation), "host-local freed the address");
        Assert.Empty(lab.Lab.Require(lab.Name).Pods);
        Assert.Contains("no pod \"a\"", Assert.Throws<LabException>(() => lab.Lab.DeletePod(lab.Name, "a")).Message);
    }

    /// <summary>The node has the device of <paramref name="backend"/> only, and one route to the remote subnet, through it.</summary>
    private static bool OnlyTheBackendsState(OverlayLab lab, string node, string backend, IPNetwork remote, out string seen)
    {
        using var ns = NetworkNamespace.Open(lab.Topology.Machine(node).Namespace);
        using var netlink = RtNetlink.Open(ns);
        var links = netlink.Links.List().Select(l => l.Name).ToList();
        var routes = netlink.Routes.List();
        seen = $"links {string.Join(", ", links)}; routes {string.Join("; ", routes)}";
        var toRemote = routes.Where(r => r.Destination == remote || (backend == "udp" && r.Destination == lab.Topology.PodNetwork)).ToList();
        return links.Contains("flannel.1") == (backend == "vxlan")
            && links.Contains("flannel0") == (backend == "udp")
            && toRemote.Count == 1
            && toRemote[0].Device == backend switch { "vxlan" => "flannel.1", "udp" => "flannel0", _ => "eth0" };
    }

    private static bool RoutesTo(OverlayLab lab, string node, IPNetwork subnet)
    {
        using var ns = NetworkNamespace.Open(lab.Topology.Machine(node).Namespace);
        using var netlink = RtNetlink.Open(ns);
        return netlink.Routes.List().Any(r => r.Destination == subnet);
    }

    private static string Etcdctl(OverlayLab lab, params string[] args) =>
        LabProcesses.Run(lab.Topology.ControlPlane, "/usr/bin/etcdctl",
            ["--endpoints", string.Join(',', lab.Topology.Etcd.Select(m => m.ClientUrl)), .. args],
            new Dictionary<string, string> { ["ETCDCTL_API"] = "3" }).Trim();

    private static bool Eventually(Func<bool> condition, TimeSpan within) => Poll.Eventually(condition, within);
}
