using Kybernet.Linux.Namespaces;
using Kybernet.Linux.Processes;

namespace Kybernet.Lab.Tests;

public sealed class LabTests : IDisposable
{
    private static int _counter;
    private readonly string _name = $"t{Environment.ProcessId:x}l{Interlocked.Increment(ref _counter)}";
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), $"kyt-lab-{Guid.NewGuid():N}");
    private readonly LabCluster _lab;

    public LabTests() => _lab = new LabCluster(new LabStateStore(_dataDir));

    public void Dispose()
    {
        _lab.Down(_name);
        if (Directory.Exists(_dataDir)) Directory.Delete(_dataDir, recursive: true);
    }

    [Fact]
    public void Three_nodes_reach_each_other_and_down_leaves_the_host_as_it_was()
    {
        var before = HostSnapshot.Take(_name, _dataDir);

        var topology = _lab.Up(LabTopology.Plan(_name, 3));

        Assert.All(_lab.Status(topology), s => Assert.True(s.Healthy, $"{s.Machine.Name}: {s}"));
        Assert.Equal(0, Ping(topology.Machine("node-1"), topology.Machine("node-2")));
        Assert.Equal(0, Ping(topology.Machine("external"), topology.Machine("cp")));
        Assert.Equal(0, Ping(topology.Machine("node-3"), topology.Machine("node-1")));
        // While up, only the namespaces' own pins (bind mounts under /run/netns) are new on the host.
        Assert.Equal(before, HostSnapshot.Take(_name, _dataDir) with { Mounts = before.Mounts });

        _lab.Down(_name);

        Assert.DoesNotContain(NetworkNamespace.List(), n => n.StartsWith($"kyb-{_name}-", StringComparison.Ordinal));
        Assert.Equal(before, HostSnapshot.Take(_name, _dataDir));
        Assert.False(File.Exists(_lab.Store.StatePath));
    }

    [Fact]
    public void The_underlay_is_a_dead_end_for_every_address_outside_the_lab()
    {
        var topology = _lab.Up(LabTopology.Plan(_name, 1));
        // Asked, not sent: a machine's default route ends at the lab's own bridge, and the underlay
        // namespace has no route onwards, so nothing can leave the lab.
        Assert.Contains("via 192.168.200.1 dev eth0", Run(topology.Machine("node-1"), "ip", "route", "get", "192.0.2.1").Stdout);
        var underlayRoutes = HostSnapshot.Run("ip", "-n", topology.UnderlayNamespace, "route", "show", "table", "all");
        Assert.DoesNotContain("default", underlayRoutes);
    }

    [Fact]
    public void Up_twice_is_refused_and_status_of_a_missing_lab_is_an_error()
    {
        Assert.Throws<LabException>(() => _lab.Require(_name));
        _lab.Up(LabTopology.Plan(_name, 1));
        var error = Assert.Throws<LabException>(() => _lab.Up(LabTopology.Plan(_name, 1)));
        Assert.Contains("already up", error.Message);
    }

    [Fact]
    public void A_failed_up_removes_everything_it_made()
    {
        var plan = LabTopology.Plan(_name, 2);
        var broken = plan with
        {
            Machines = [.. plan.Machines, plan.Machines[^1] with { Name = "bad", Namespace = $"kyb-{_name}-bad", HostVeth = "an-invalid/name" }],
        };

        var error = Assert.Throws<LabException>(() => _lab.Up(broken));

        Assert.Contains("removed again", error.Message);
        Assert.DoesNotContain(NetworkNamespace.List(), n => n.StartsWith($"kyb-{_name}-", StringComparison.Ordinal));
        Assert.False(File.Exists(_lab.Store.StatePath));
    }

    [Fact]
    public void Down_sweeps_namespaces_an_interrupted_up_left_without_state()
    {
        NetworkNamespace.Create($"kyb-{_name}-node-1").Dispose();
        _lab.Down(_name);
        Assert.False(NetworkNamespace.Exists($"kyb-{_name}-node-1"));
        _lab.Down(_name); // idempotent
    }

    private static int Ping(LabMachine from, LabMachine to) => Ping(from, to.Address.Address.ToString());

    private static int Ping(LabMachine from, string address) => Run(from, "ping", "-c1", "-W1", address).ExitCode;

    private static ChildProcessResult Run(LabMachine machine, params string[] argv) =>
        LabCluster.Run(machine.Namespace, new ChildProcessOptions(argv[0], argv[1..]), TimeSpan.FromSeconds(60));
}
