using System.Text;
using Kybernet.Overlay.Subnets;
using Kybernet.Overlay.Tests.Backends;
using Kybernet.Store;
using Kybernet.Store.Tests;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Kybernet.Agent.Tests;

/// <summary>
/// The start-up sequence on a real node (a namespace with an underlay eth0) against a real etcd: it comes up ready, and
/// stops what it started in reverse order, whether asked to or because a later step failed.
/// </summary>
public sealed class NodeAgentTests(EtcdServer etcd) : IClassFixture<EtcdServer>, IDisposable
{
    private readonly TwoNodeLab _lab = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("kyt-nodeagent-").FullName;
    private readonly FakeLogCollector _log = new();
    private readonly string _prefix = $"/kyt-{Guid.NewGuid():N}"[..13] + "/network";

    public void Dispose()
    {
        _lab.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private AgentOptions Options(ILoggerFactory loggers) => new()
    {
        Leases = new EtcdLeaseOptions(etcd.Endpoints) { Subnets = new EtcdSubnetManagerOptions { Prefix = _prefix } },
        Namespace = _lab.Node1.Namespace,
        SubnetFile = Path.Combine(_dir, "subnet.env"),
        Loggers = loggers,
    };

    private ILoggerFactory Loggers() => LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(new FakeLoggerProvider(_log)));

    private async Task PutConfig()
    {
        await using var store = new Kybernet.Store.Etcd.EtcdStore(etcd.Endpoints);
        await store.PutAsync($"{_prefix}/config", Encoding.UTF8.GetBytes("""{"Network":"10.244.0.0/16","Backend":{"Type":"vxlan"}}"""));
    }

    private string Logged() => string.Join('\n', _log.GetSnapshot().Select(r => $"{r.Category}: {r.Message}"));

    [Fact]
    public async Task It_comes_up_on_the_nodes_address_and_stops_in_reverse_order_keeping_the_lease()
    {
        await PutConfig();
        using var loggers = Loggers();
        var agent = await NodeAgent.StartAsync(Options(loggers));

        Assert.Equal(_lab.Node1.PublicIp, agent.Overlay.Lease.PublicIp);
        Assert.Equal("FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=false\n", File.ReadAllText(Path.Combine(_dir, "subnet.env")));
        Assert.Contains($"agent: up: subnet 10.244.1.0/24, subnet.env at {_dir}/subnet.env", Logged());
        Assert.False(agent.Completion.IsCompleted);

        await agent.DisposeAsync();
        Assert.EndsWith("agent: stopped the overlay\nagent: stopped the etcd client", Logged());
        Assert.True(agent.Completion.IsCompletedSuccessfully);
        Assert.Contains("10.244.1.0-24", await etcd.EtcdctlAsync("get", "--prefix", "--keys-only", $"{_prefix}/subnets/"));
    }

    [Fact]
    public async Task RunAsync_runs_until_asked_to_stop_and_says_so()
    {
        await PutConfig();
        using var loggers = Loggers();
        using var stop = new CancellationTokenSource();
        var run = NodeAgent.RunAsync(Options(loggers), stop.Token);
        Assert.True(SpinWait.SpinUntil(() => run.IsCompleted || Logged().Contains("agent: up: subnet"), TimeSpan.FromSeconds(30)), Logged());

        await stop.CancelAsync();
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.EndsWith("agent: stopping (its lease stays)\nagent: stopped the overlay\nagent: stopped the etcd client", Logged());
    }

    [Fact]
    public async Task A_start_up_that_fails_half_way_stops_what_it_started()
    {
        using var loggers = Loggers();
        // No network config under the prefix: the overlay cannot start, after the etcd client did.
        var e = await Assert.ThrowsAsync<NetworkConfigException>(() => NodeAgent.StartAsync(Options(loggers)));
        Assert.Contains($"{_prefix}/config", e.Message);
        Assert.EndsWith("agent: stopped the etcd client", Logged());
        Assert.False(File.Exists(Path.Combine(_dir, "subnet.env")));
    }
}
