using Kybernet.Linux.Namespaces;
using Kybernet.Linux.Processes;

namespace Kybernet.Lab.Tests;

/// <summary>
/// etcd members inside the lab's control plane, reached from the nodes over the underlay. Dispose
/// brings the lab down, so no etcd outlives a test, failed or not.
/// </summary>
public sealed class LabEtcdTests : IDisposable
{
    private static int _counter;
    private readonly string _name = $"t{Environment.ProcessId:x}m{Interlocked.Increment(ref _counter)}";
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), $"kyt-lab-{Guid.NewGuid():N}");
    private readonly LabCluster _lab;

    public LabEtcdTests() => _lab = new LabCluster(new LabStateStore(_dataDir));

    public void Dispose()
    {
        _lab.Down(_name);
        if (Directory.Exists(_dataDir)) Directory.Delete(_dataDir, recursive: true);
    }

    [Fact]
    public void One_member_in_the_control_plane_serves_a_node_over_the_underlay()
    {
        var topology = _lab.Up(LabTopology.Plan(_name, 1, etcdMembers: 1));

        var member = Assert.Single(topology.Etcd);
        Assert.Equal("http://192.168.200.2:2379", member.ClientUrl);
        Assert.Equal(new EtcdMemberStatus(member, Running: true, Healthy: true), Assert.Single(_lab.EtcdStatus(topology)));
        var node = topology.Machine("node-1");
        Assert.Equal("OK", Etcdctl(node, member.ClientUrl, "put", "/kyt/greeting", "hello").Trim());
        Assert.Equal("hello", Etcdctl(node, member.ClientUrl, "get", "--print-value-only", "/kyt/greeting").Trim());
    }

    [Fact]
    public void Three_members_keep_serving_writes_when_one_is_killed()
    {
        var topology = _lab.Up(LabTopology.Plan(_name, 1, etcdMembers: 3));
        var endpoints = string.Join(',', topology.Etcd.Select(m => m.ClientUrl));
        var node = topology.Machine("node-1");
        Assert.All(_lab.EtcdStatus(topology), s => Assert.True(s.Running && s.Healthy, s.ToString()));

        var victim = topology.Etcd[1];
        Assert.True(Signals.Send(victim.Pid, Signals.SIGKILL));

        // A killed leader is replaced within a couple of election timeouts: retry, bounded.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        string put;
        while ((put = TryEtcdctl(node, endpoints, "put", "/kyt/after-kill", "still-here")).Trim() != "OK" && DateTime.UtcNow < deadline)
            Thread.Sleep(200);
        Assert.Equal("OK", put.Trim());
        Assert.Equal("still-here", Etcdctl(node, endpoints, "get", "--print-value-only", "/kyt/after-kill").Trim());
        var statuses = _lab.EtcdStatus(topology);
        Assert.Equal([true, false, true], statuses.Select(s => s.Running));
    }

    [Fact]
    public void Down_stops_every_member_and_leaves_the_host_as_it_was()
    {
        var before = HostSnapshot.Take(_name, _dataDir);
        var topology = _lab.Up(LabTopology.Plan(_name, 1, etcdMembers: 3));
        Assert.Equal(3, EtcdProcessesOfThisLab().Count);
        Assert.All(topology.Etcd, m => Assert.Contains(m.Pid, EtcdProcessesOfThisLab()));

        _lab.Down(_name);
        _lab.Down(_name); // idempotent

        Assert.Empty(EtcdProcessesOfThisLab());
        Assert.DoesNotContain(NetworkNamespace.List(), n => n.StartsWith($"kyb-{_name}-", StringComparison.Ordinal));
        Assert.False(Directory.Exists(_dataDir), $"{_dataDir} still has: {string.Join(", ", Directory.Exists(_dataDir) ? Directory.EnumerateFileSystemEntries(_dataDir) : [])}");
        Assert.Equal(before, HostSnapshot.Take(_name, _dataDir));
    }

    [Fact]
    public void A_failed_up_stops_the_members_it_started()
    {
        var plan = LabTopology.Plan(_name, 1, etcdMembers: 2);
        // Both members on the same ports: the second cannot bind, so the cluster never gets healthy.
        var broken = plan with { Etcd = [plan.Etcd[0], plan.Etcd[0] with { Name = "etcd-2" }] };

        var error = Assert.Throws<LabException>(() => _lab.Up(broken));

        Assert.Contains("removed again", error.Message);
        Assert.Empty(EtcdProcessesOfThisLab());
        Assert.DoesNotContain(NetworkNamespace.List(), n => n.StartsWith($"kyb-{_name}-", StringComparison.Ordinal));
        Assert.False(Directory.Exists(_dataDir));
    }

    /// <summary>Live (not zombie) etcd processes whose command line names this test's data directory.</summary>
    private List<int> EtcdProcessesOfThisLab() =>
        Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid =>
            {
                try
                {
                    var stat = File.ReadAllText($"/proc/{pid}/stat");
                    return pid > 0 && !stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z')
                        && File.ReadAllText($"/proc/{pid}/cmdline").Contains(_dataDir + "/etcd/", StringComparison.Ordinal);
                }
                catch (IOException) { return false; }
            })
            .ToList();

    private static string Etcdctl(LabMachine machine, string endpoints, params string[] args)
    {
        var (code, stdout, stderr) = RunEtcdctl(machine, endpoints, args);
        Assert.True(code == 0, $"etcdctl {string.Join(' ', args)} in {machine.Name} exited with {code}: {stderr}");
        return stdout;
    }

    private static string TryEtcdctl(LabMachine machine, string endpoints, params string[] args) => RunEtcdctl(machine, endpoints, args).Stdout;

    /// <summary>etcdctl (v3) run inside <paramref name="machine"/>'s namespace, so its traffic never leaves the lab.</summary>
    private static (int Code, string Stdout, string Stderr) RunEtcdctl(LabMachine machine, string endpoints, string[] args)
    {
        var environment = ChildProcessOptions.CurrentEnvironment();
        environment["ETCDCTL_API"] = "3";
        var options = new ChildProcessOptions("/usr/bin/etcdctl", [$"--endpoints={endpoints}", "--command-timeout=5s", .. args]) { Environment = environment };
        var result = LabCluster.Run(machine.Namespace, options, TimeSpan.FromSeconds(30));
        return (result.ExitCode, result.Stdout, result.Stderr);
    }
}
