using System.Text;
using Kybernet.Controllers.Tests;
using Kybernet.Linux;
using Kybernet.Linux.Netlink;
using Kybernet.Overlay.Agent;
using Kybernet.Overlay.Backends;
using Kybernet.Overlay.Subnets;
using Kybernet.Overlay.Tests.Backends;
using Kybernet.Store;
using Kybernet.Store.Etcd;
using Kybernet.Store.Tests;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;

namespace Kybernet.Overlay.Tests.Agent;

/// <summary>
/// Two overlay agents, in process, on two real nodes (namespaces on an L2 underlay) with their leases in a real etcd:
/// the whole start-up sequence, then pods on the two nodes ping across through vxlan.
/// </summary>
public sealed class OverlayAgentTests(EtcdServer etcd) : IClassFixture<EtcdServer>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly TwoNodeLab _lab = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("kyt-agent-").FullName;
    private readonly List<EtcdStore> _stores = [];
    private readonly List<OverlayAgent> _agents = [];
    private string _prefix = "";

    public async Task InitializeAsync()
    {
        var store = etcd.NewStore(out _prefix);
        _stores.Add(store);
        await store.PutAsync("/coreos.com/network/config", Encoding.UTF8.GetBytes("""{"Network":"10.244.0.0/16","Backend":{"Type":"vxlan"}}"""));
    }

    public async Task DisposeAsync()
    {
        foreach (var agent in _agents)
            await agent.DisposeAsync();
        foreach (var store in _stores)
            await store.DisposeAsync();
        _lab.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private string SubnetFile(TwoNodeLab.Node node) => Path.Combine(_dir, $"node{node.Number}", "subnet.env");

    /// <summary>Starts an agent for <paramref name="node"/> with a store connection of its own, and gives its pod side the MTU, as the CNI plugin would.</summary>
    private async Task<OverlayAgent> StartAgent(TwoNodeLab.Node node, TimeSpan? resyncPeriod = null, ILogger? log = null)
    {
        var store = new EtcdStore(etcd.Endpoints, _prefix);
        _stores.Add(store);
        var agent = await OverlayAgent.StartAsync(new EtcdSubnetManager(store), BackendRegistry.CreateDefault(), new OverlayAgentOptions
        {
            External = node.External,
            SubnetFile = SubnetFile(node),
            IpMasq = true,
            ResyncPeriod = resyncPeriod ?? OverlayAgentOptions.DefaultResyncPeriod,
            Log = log ?? NullLogger.Instance,
        });
        _agents.Add(agent);
        using var nl = RtNetlink.Open(node.Namespace);
        nl.Links.SetMtu("cni0", agent.Env.Mtu);
        nl.Links.SetMtu($"veth{node.Number}", agent.Env.Mtu);
        using var pod = RtNetlink.Open(node.Pod);
        pod.Links.SetMtu("eth0", agent.Env.Mtu);
        return agent;
    }

    private static async Task Sees(OverlayAgent agent, TwoNodeLab.Node other)
    {
        using var timeout = new CancellationTokenSource(Patience);
        await agent.WaitUntilAppliedAsync(leases => leases.Any(l => l.Subnet.Equals(other.Subnet) && l.PublicIp.Equals(other.PublicIp)), timeout.Token);
    }

    private async Task<(OverlayAgent One, OverlayAgent Two)> BothUp()
    {
        var one = await StartAgent(_lab.Node1);
        var two = await StartAgent(_lab.Node2);
        await Sees(one, _lab.Node2);
        await Sees(two, _lab.Node1);
        return (one, two);
    }

    [Fact]
    public async Task Two_agents_get_distinct_subnets_write_subnet_env_and_their_pods_ping_across()
    {
        var (one, two) = await BothUp();

        Assert.Equal(_lab.Node1.Subnet, one.Lease.Subnet);
        Assert.Equal(_lab.Node2.Subnet, two.Lease.Subnet);
        Assert.Equal("FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n", File.ReadAllText(SubnetFile(_lab.Node1)));
        Assert.Equal("FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.2.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n", File.ReadAllText(SubnetFile(_lab.Node2)));
        Assert.Equal("1", Sysctl.Get(_lab.Node1.Namespace, IpForwarding.Key));
        Assert.Contains("ip saddr 10.244.0.0/16 ip daddr != 10.244.0.0/16 masquerade", Nft(_lab.Node1));

        Assert.True(_lab.Node1.Ping(_lab.Node2.PodIp), "pod1 -> pod2");
        Assert.True(_lab.Node2.Ping(_lab.Node1.PodIp), "pod2 -> pod1");
        Assert.True(_lab.Node1.Ping(_lab.Node2.PodIp, "-M", "do", "-s", "1422"), "pod1 -> pod2 at the MTU edge");
    }

    [Fact]
    public async Task A_stopped_agent_leaves_the_other_working_and_a_restarted_one_gets_its_subnet_back()
    {
        var (one, two) = await BothUp();
        var masquerade = Nft(_lab.Node2);

        await two.DisposeAsync();
        _agents.Remove(two);
        Assert.True(_lab.Node1.Ping(_lab.Node2.PodIp), "pods still reach each other with node 2's agent stopped");
        Assert.Same(one, _agents[0]);
        Assert.False(one.Completion.IsCompleted);

        var again = await StartAgent(_lab.Node2);
        Assert.Equal(_lab.Node2.Subnet, again.Lease.Subnet);
        await Sees(again, _lab.Node1);
        Assert.Equal(masquerade, Nft(_lab.Node2));
        Assert.True(_lab.Node2.Ping(_lab.Node1.PodIp), "pod2 -> pod1 after the restart");
        Assert.True(_lab.Node1.Ping(_lab.Node2.PodIp), "pod1 -> pod2 after the restart");
    }

    [Fact]
    public async Task The_resync_restores_what_was_deleted_by_hand_and_logs_each_repair()
    {
        var log = new FakeLogCollector();
        var one = await StartAgent(_lab.Node1, TimeSpan.FromMilliseconds(200), new FakeLogger(log));
        var two = await StartAgent(_lab.Node2);
        await Sees(one, _lab.Node2);
        await Sees(two, _lab.Node1);
        var masquerade = Nft(_lab.Node1);
        var routes = _lab.Node1.Ip("route", "show", "dev", "flannel.1");

        // As an operator would break it: a remote subnet's route, the masquerade table, forwarding.
        _lab.Node1.Ip("route", "del", "10.244.2.0/24", "dev", "flannel.1");
        Tool.Run("ip", ["netns", "exec", _lab.Node1.Namespace.Name, "nft", "delete", "table", "ip", "kybernet-overlay"]);
        Sysctl.Set(_lab.Node1.Namespace, IpForwarding.Key, "0");

        Assert.True(await Eventually(() => _lab.Node1.Ip("route", "show", "dev", "flannel.1") == routes
                                          && Sysctl.Get(_lab.Node1.Namespace, IpForwarding.Key) == "1"
                                          && Nft(_lab.Node1) == masquerade), "restored within a few resyncs");
        Assert.True(_lab.Node1.Ping(_lab.Node2.PodIp), "pod1 -> pod2 after the repairs");
        Assert.True(await Eventually(() => log.Text().Contains("restored route 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink")
                                           && log.Text().Contains("restored the masquerade table ip kybernet-overlay (it was missing)")
                                           && log.Text().Contains("restored net.ipv4.ip_forward=1 (it was 0)")), log.Text());
        Assert.False(one.Completion.IsCompleted);
    }

    [Fact]
    public async Task Without_a_network_config_the_agent_names_the_missing_key_and_leaves_nothing()
    {
        var store = new EtcdStore(etcd.Endpoints, _prefix);
        _stores.Add(store);
        await store.DeleteAsync("/coreos.com/network/config");
        var e = await Assert.ThrowsAsync<NetworkConfigException>(() => OverlayAgent.StartAsync(new EtcdSubnetManager(store), BackendRegistry.CreateDefault(),
            new OverlayAgentOptions { External = _lab.Node1.External, SubnetFile = SubnetFile(_lab.Node1) }));
        Assert.Contains("/coreos.com/network/config", e.Message);
        Assert.False(File.Exists(SubnetFile(_lab.Node1)));
        Assert.DoesNotContain("flannel", _lab.Node1.Ip("link"));
    }

    /// <summary>Polls what the resync converges to, bounded (no timing is asserted: the bound is generous).</summary>
    private static async Task<bool> Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                return false;
            await Task.Delay(50);
        }
        return true;
    }

    private static string Nft(TwoNodeLab.Node node) =>
        Tool.Run("ip", ["netns", "exec", node.Namespace.Name, "nft", "list", "table", "ip", "kybernet-overlay"]);
}
