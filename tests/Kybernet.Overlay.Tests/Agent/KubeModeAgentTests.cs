using k8s;
using k8s.Models;
using Kybernet.Controllers.Tests;
using Kybernet.Linux.Netlink;
using Kybernet.Overlay.Agent;
using Kybernet.Overlay.Backends;
using Kybernet.Overlay.Subnets;
using Kybernet.Overlay.Tests.Backends;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;

namespace Kybernet.Overlay.Tests.Agent;

/// <summary>
/// Kube mode end to end: a real API server and node IPAM controller in process, two overlay agents with the kube subnet
/// manager on two real nodes (namespaces on an L2 underlay), the vxlan backend; pods ping across.
/// </summary>
public sealed class KubeModeAgentTests : IAsyncLifetime
{
    private readonly TwoNodeLab _lab = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("kyt-kubeagent-").FullName;
    private readonly List<OverlayAgent> _agents = [];
    private TestApiServer _server = null!;
    private RunningController _controller = null!;

    private string NetConf => Path.Combine(_dir, "net-conf.json");

    public async Task InitializeAsync()
    {
        try
        {
            _server = await TestApiServer.StartAsync();
            _controller = new RunningController(_server);
            await File.WriteAllTextAsync(NetConf, """{"Network":"10.244.0.0/16","Backend":{"Type":"vxlan"}}""");
            // The lab's nodes have cni0 on 10.244.1.1 and 10.244.2.1: keep 10.244.0.0/24 taken so the controller hands out .1 and .2.
            await _server.CreateNodeAsync("reserved", "10.244.0.0/24");
        }
        catch
        {
            _lab.Dispose();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        try
        {
            foreach (var agent in _agents)
                await agent.DisposeAsync();
            await _controller.DisposeAsync();
            await _server.DisposeAsync();
        }
        finally
        {
            _lab.Dispose();
            Directory.Delete(_dir, recursive: true);
        }
    }

    private string SubnetFile(TwoNodeLab.Node node) => Path.Combine(_dir, $"node{node.Number}", "subnet.env");

    /// <summary>Starts (without awaiting) the agent of node-N in kube mode, as `kybernet agent --kube-subnet-mgr` does.</summary>
    private Task<OverlayAgent> StartAgent(TwoNodeLab.Node node, ILogger log)
    {
        var subnets = new KubeSubnetManager(_server.NewClient(), new KubeSubnetManagerOptions
        {
            NodeName = $"node-{node.Number}",
            NetConfPath = NetConf,
            Log = log,
        });
        return OverlayAgent.StartAsync(subnets, BackendRegistry.CreateDefault(), new OverlayAgentOptions
        {
            External = node.External,
            SubnetFile = SubnetFile(node),
            IpMasq = true,
            Log = log,
        });
    }

    /// <summary>The agent, once up, with the pod side given its MTU as the CNI plugin would.</summary>
    private async Task<OverlayAgent> Up(Task<OverlayAgent> starting, TwoNodeLab.Node node)
    {
        var agent = await starting.WaitAsync(TestApiServer.Patience);
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
        using var timeout = new CancellationTokenSource(TestApiServer.Patience);
        await agent.WaitUntilAppliedAsync(leases => leases.Any(l => l.Subnet.Equals(other.Subnet) && l.PublicIp.Equals(other.PublicIp)), timeout.Token);
    }

    [Fact]
    public async Task Two_kube_mode_agents_wait_for_their_nodes_take_the_assigned_pod_cidrs_and_their_pods_ping_across()
    {
        var log1 = new FakeLogCollector();
        var starting1 = StartAgent(_lab.Node1, new FakeLogger(log1));
        var deadline = DateTime.UtcNow + TestApiServer.Patience;
        while (!log1.Text().Contains("waiting for node node-1 to be registered") && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        Assert.Contains("waiting for node node-1 to be registered", log1.Text());
        // The agent waits for the kubelet's Node: it never makes one itself.
        Assert.Equal(["reserved"], (await _server.Client.CoreV1.ListNodeAsync()).Items.Select(n => n.Name()));
        Assert.False(starting1.IsCompleted);

        await _server.CreateNodeAsync("node-1");
        var one = await Up(starting1, _lab.Node1);
        await _server.CreateNodeAsync("node-2");
        var two = await Up(StartAgent(_lab.Node2, NullLogger.Instance), _lab.Node2);
        Assert.Equal(_lab.Node1.Subnet, one.Lease.Subnet);
        Assert.Equal(_lab.Node2.Subnet, two.Lease.Subnet);
        await Sees(one, _lab.Node2);
        await Sees(two, _lab.Node1);

        Assert.Equal("FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n", File.ReadAllText(SubnetFile(_lab.Node1)));
        Assert.Equal("FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.2.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n", File.ReadAllText(SubnetFile(_lab.Node2)));
        var node2 = await _server.Client.CoreV1.ReadNodeAsync("node-2");
        Assert.Equal("192.168.200.12", node2.Metadata.Annotations["flannel.alpha.coreos.com/public-ip"]);
        Assert.Equal("vxlan", node2.Metadata.Annotations["flannel.alpha.coreos.com/backend-type"]);
        Assert.Equal(two.Lease.BackendData.ToJsonString(), node2.Metadata.Annotations["flannel.alpha.coreos.com/backend-data"]);
        Assert.Contains(_lab.Node2.Ip("link", "show", "flannel.1").Split(' ')[^3], node2.Metadata.Annotations["flannel.alpha.coreos.com/backend-data"]);

        Assert.True(_lab.Node1.Ping(_lab.Node2.PodIp), "pod1 -> pod2");
        Assert.True(_lab.Node2.Ping(_lab.Node1.PodIp), "pod2 -> pod1");
        Assert.True(_lab.Node1.Ping(_lab.Node2.PodIp, "-M", "do", "-s", "1422"), "pod1 -> pod2 at the MTU edge");

        // Deleting node-2 withdraws its lease from node-1: the route to 10.244.2.0/24 goes.
        await _server.DeleteNodeAsync("node-2");
        using var timeout = new CancellationTokenSource(TestApiServer.Patience);
        await one.WaitUntilAppliedAsync(leases => leases.Count == 0, timeout.Token);
        Assert.DoesNotContain("10.244.2.0/24", _lab.Node1.Ip("route"));
    }
}
