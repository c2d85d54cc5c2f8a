using System.Net;

namespace Kybernet.Lab.Tests;

public class LabTopologyTests
{
    [Fact]
    public void Plan_names_machines_and_numbers_their_addresses()
    {
        var plan = LabTopology.Plan("demo", 3);

        Assert.Equal(["cp", "external", "node-1", "node-2", "node-3"], plan.Machines.Select(m => m.Name));
        Assert.Equal(["192.168.200.2/24", "192.168.200.3/24", "192.168.200.11/24", "192.168.200.12/24", "192.168.200.13/24"],
            plan.Machines.Select(m => m.Address.ToString()));
        Assert.Equal("kyb-demo-node-2", plan.Machine("node-2").Namespace);
        Assert.Equal("kyb-demo-underlay", plan.UnderlayNamespace);
        Assert.Equal("192.168.200.1/24", plan.Gateway.ToString());
        Assert.All(plan.Machines, m => Assert.True(m.HostVeth.Length <= 15));
        Assert.Equal(3, plan.Nodes.Count());
    }

    [Fact]
    public void Etcd_members_run_on_the_control_plane_with_the_member_number_in_their_ports()
    {
        var plan = LabTopology.Plan("demo", 1, etcdMembers: 3);

        Assert.Equal(["etcd-1", "etcd-2", "etcd-3"], plan.Etcd.Select(m => m.Name));
        Assert.Equal(["http://192.168.200.2:2379", "http://192.168.200.2:12379", "http://192.168.200.2:22379"], plan.Etcd.Select(m => m.ClientUrl));
        Assert.Equal(["http://192.168.200.2:2380", "http://192.168.200.2:12380", "http://192.168.200.2:22380"], plan.Etcd.Select(m => m.PeerUrl));
        Assert.Equal("etcd-1=http://192.168.200.2:2380,etcd-2=http://192.168.200.2:12380,etcd-3=http://192.168.200.2:22380",
            EtcdMember.InitialCluster(plan.Etcd));
        Assert.All(plan.Etcd, m => Assert.Equal(0, m.Pid));
        Assert.Empty(LabTopology.Plan("demo", 1).Etcd);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(8)]
    public void Etcd_member_counts_out_of_range_are_refused(int members) =>
        Assert.Contains("--etcd-members", Assert.Throws<LabException>(() => LabTopology.Plan("demo", 1, etcdMembers: members)).Message);

    [Fact]
    public void Plan_uses_a_given_underlay()
    {
        var plan = LabTopology.Plan("demo", 1, IPNetwork.Parse("172.30.5.0/24"));
        Assert.Equal("172.30.5.11/24", plan.Machine("node-1").Address.ToString());
    }

    [Theory]
    [InlineData("", 3)]
    [InlineData("Upper", 3)]
    [InlineData("has/slash", 3)]
    [InlineData("far-too-long-lab-name", 3)]
    [InlineData("has-dash", 3)]
    [InlineData("ok", 0)]
    [InlineData("ok", 101)]
    public void Plan_rejects_bad_input_with_a_message(string name, int nodes)
    {
        var error = Assert.Throws<LabException>(() => LabTopology.Plan(name, nodes));
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void Unknown_machine_names_the_ones_that_exist()
    {
        var error = Assert.Throws<LabException>(() => LabTopology.Plan("demo", 2).Machine("node-7"));
        Assert.Contains("node-1, node-2", error.Message);
    }

    [Fact]
    public void State_round_trips_through_its_file()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"kyt-state-{Guid.NewGuid():N}");
        try
        {
            var store = new LabStateStore(dir);
            var plan = LabTopology.Plan("demo", 2, etcdMembers: 2);
            plan = plan with { Etcd = [plan.Etcd[0] with { Pid = 4242 }, plan.Etcd[1]] };
            store.Save(plan);

            var loaded = store.Load()!;
            Assert.Equal(plan.Name, loaded.Name);
            Assert.Equal(plan.Underlay, loaded.Underlay);
            Assert.Equal(plan.Machines, loaded.Machines);
            Assert.Equal(plan.Etcd, loaded.Etcd);

            store.Delete();
            Assert.False(Directory.Exists(dir));
            Assert.Null(store.Load());
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void An_overlay_plans_one_agent_per_node_and_needs_etcd()
    {
        var plan = LabTopology.Plan("demo", 2, etcdMembers: 1, backend: "udp", leaseTtl: TimeSpan.FromSeconds(30));
        Assert.Equal(["node-1", "node-2"], plan.Agents.Select(a => a.Node));
        Assert.All(plan.Agents, a => Assert.Equal(0, a.Pid));
        Assert.Equal(TimeSpan.FromSeconds(30), plan.LeaseTtl);
        Assert.Empty(LabTopology.Plan("demo", 2, etcdMembers: 1).Agents);
        Assert.Contains("--etcd-members 1 or more", Assert.Throws<LabException>(() => LabTopology.Plan("demo", 2, backend: "vxlan")).Message);
        Assert.Contains("unknown backend \"ipip\"", Assert.Throws<LabException>(() => LabTopology.Plan("demo", 2, etcdMembers: 1, backend: "ipip")).Message);
        Assert.Contains("--lease-ttl", Assert.Throws<LabException>(() => LabTopology.Plan("demo", 2, etcdMembers: 1, backend: "vxlan", leaseTtl: TimeSpan.FromSeconds(1))).Message);
        Assert.Equal("kyb-demo-pod-web", plan.PodNamespace("web"));
        Assert.Equal("etcd", plan.SubnetManager);
        Assert.Equal("kube", LabTopology.Plan("demo", 1, etcdMembers: 1, backend: "vxlan", subnetManager: "kube").SubnetManager);
        Assert.Contains("unknown subnet manager", Assert.Throws<LabException>(() => LabTopology.Plan("demo", 1, etcdMembers: 1, backend: "vxlan", subnetManager: "consul")).Message);
        Assert.Contains("give a --backend", Assert.Throws<LabException>(() => LabTopology.Plan("demo", 1, etcdMembers: 1, subnetManager: "kube")).Message);
    }

    [Fact]
    public void The_backends_and_the_resync_period_are_the_agents()
    {
        Assert.Equal(Kybernet.Overlay.Backends.BackendRegistry.CreateDefault().Names, LabTopology.Backends);
        Assert.Equal("vxlan", LabTopology.Backends[0]);
        Assert.Equal(Kybernet.Overlay.Agent.OverlayAgentOptions.DefaultResyncPeriod, LabTopology.Plan("demo", 1, etcdMembers: 1, backend: "vxlan").ResyncPeriod);
        Assert.Equal(TimeSpan.FromSeconds(2), LabTopology.Plan("demo", 1, etcdMembers: 1, backend: "vxlan", resyncPeriod: TimeSpan.FromSeconds(2)).ResyncPeriod);
        foreach (var bad in new[] { TimeSpan.Zero, TimeSpan.FromMilliseconds(1500) })
            Assert.Contains("--resync-period must be a whole number of seconds", Assert.Throws<LabException>(() => LabTopology.Plan("demo", 1, etcdMembers: 1, backend: "vxlan", resyncPeriod: bad)).Message);
    }

    [Theory]
    [InlineData("Web")]
    [InlineData("web-")]
    [InlineData("-web")]
    [InlineData("a-pod-name-that-is-far-too-long-x1")]
    public void Pod_names_that_cannot_name_a_namespace_are_refused(string name) =>
        Assert.Contains("invalid pod name", Assert.Throws<LabException>(() => LabTopology.ValidatePodName(name)).Message);

    [Fact]
    public void The_state_file_keeps_agents_and_pods()
    {
        var dir = Directory.CreateTempSubdirectory("kyt-labstate-");
        try
        {
            var store = new LabStateStore(dir.FullName);
            var plan = LabTopology.Plan("demo", 1, etcdMembers: 1, backend: "host-gw", leaseTtl: TimeSpan.FromSeconds(10), resyncPeriod: TimeSpan.FromSeconds(3));
            plan = plan with
            {
                IpMasq = false,
                SubnetManager = "kube",
                ServerPid = 4141,
                Agents = [new LabAgent("node-1", 4242)],
                Pods =
                [
                    new LabPod("web", "node-1", "kyb-demo-pod-web", "{\"cniVersion\":\"1.0.0\"}", "{\"ips\":[{\"address\":\"10.244.3.2/24\"}]}"),
                    new LabPod("half", "node-1", "kyb-demo-pod-half", "{\"cniVersion\":\"1.0.0\"}"),
                ],
            };
            store.Save(plan);
            var loaded = store.Load()!;
            Assert.Equal("host-gw", loaded.Backend);
            Assert.Equal(TimeSpan.FromSeconds(10), loaded.LeaseTtl);
            Assert.Equal(TimeSpan.FromSeconds(3), loaded.ResyncPeriod);
            Assert.False(loaded.IpMasq);
            Assert.Equal("kube", loaded.SubnetManager);
            Assert.Equal(4141, loaded.ServerPid);
            Assert.Equal(plan.Agents, loaded.Agents);
            Assert.Equal(plan.Pods, loaded.Pods);
            Assert.Equal("10.244.3.2/24", loaded.Pods[0].Address.ToString());
            Assert.False(loaded.Pods[1].Attached);
            Assert.Contains("not attached", Assert.Throws<LabException>(() => loaded.Pods[1].Address).Message);
            Assert.Equal(plan.PodNetwork, loaded.PodNetwork);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
