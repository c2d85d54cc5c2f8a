namespace Kybernet.Lab.Tests;

/// <summary>
/// The overlay repairs itself, as a user would see it: in a lab whose agents resync every second, what is deleted by hand
/// inside node-1 (with ip, bridge, nft and sysctl run in its namespace) is back within a bounded wait, the agent's log
/// says what it restored, and the pods talk again; for each of flannel's three backends.
/// </summary>
public sealed class LabRepairTests
{
    public static readonly TheoryData<string> Backends = new(LabTopology.Backends.ToArray());

    [Theory]
    [MemberData(nameof(Backends))]
    public void What_is_deleted_by_hand_on_a_node_is_restored_by_its_agent(string backend)
    {
        using var lab = new OverlayLab(backend, resyncPeriod: TimeSpan.FromSeconds(1));
        var a = lab.AddPod("node-1", "a");
        var b = lab.AddPod("node-2", "b");
        Assert.True(OverlayLab.PingEventually(a.Namespace, b.Address.Address), $"a -> b over {backend}");
        var node = lab.Topology.Machine("node-1");
        var agent = File.ReadAllText($"/proc/{lab.Topology.Agents[0].Pid}/cmdline").Split('\0');
        Assert.Equal("1", agent[Array.IndexOf(agent, "--resync-period") + 1]);
        var remote = lab.Subnet("node-2");
        var peer = lab.Topology.Machine("node-2").Address.Address;
        string Run(string program, params string[] args) => LabProcesses.Run(node, program, args);

        void Repaired(string what, Func<bool> restored)
        {
            Assert.True(Eventually(restored), $"{backend}: {what} is restored by node-1's agent; its log:\n{lab.Lab.Agents.LogTail("node-1", 30)}");
            Assert.True(OverlayLab.PingEventually(a.Namespace, b.Address.Address), $"{backend}: a -> b after {what} was restored");
            Assert.True(OverlayLab.Ping(b.Namespace, a.Address.Address), $"{backend}: b -> a after {what} was restored");
        }

        // The route that carries the remote subnet: its own route (vxlan, host-gw), or udp's one route for the pod network.
        var (route, device) = backend switch
        {
            "vxlan" => (remote, "flannel.1"),
            "udp" => (lab.Topology.PodNetwork, "flannel0"),
            _ => (remote, "eth0"),
        };
        var routeBefore = Run("ip", "route", "show", route.ToString(), "dev", device);
        Assert.NotEqual("", routeBefore.Trim());
        Run("ip", "route", "del", route.ToString(), "dev", device);
        Repaired($"the route {route} dev {device}", () => Run("ip", "route", "show", route.ToString(), "dev", device) == routeBefore);

        if (backend == "vxlan")
        {
            var vtep = remote.BaseAddress.ToString();
            var neighbour = Run("ip", "neigh", "show", vtep, "dev", "flannel.1");
            Assert.Contains("PERMANENT", neighbour);
            Run("ip", "neigh", "del", vtep, "dev", "flannel.1");
            Repaired($"the neighbour {vtep}", () => Run("ip", "neigh", "show", vtep, "dev", "flannel.1") == neighbour);

            var fdb = Run("bridge", "fdb", "show", "dev", "flannel.1").Split('\n').Single(l => l.Contains($"dst {peer} ", StringComparison.Ordinal));
            Run("bridge", "fdb", "del", fdb.Split(' ')[0], "dev", "flannel.1", "dst", peer.ToString());
            Repaired($"the FDB entry {fdb}", () => Run("bridge", "fdb", "show", "dev", "flannel.1").Contains(fdb, StringComparison.Ordinal));
        }

        var masquerade = Run("nft", "list", "table", "ip", "kybernet-overlay");
        Run("nft", "delete", "table", "ip", "kybernet-overlay");
        Repaired("the masquerade table", () => Run("nft", "list", "ruleset").Contains("table ip kybernet-overlay", StringComparison.Ordinal)
                                               && Run("nft", "list", "table", "ip", "kybernet-overlay") == masquerade);

        Run("sysctl", "-w", "net.ipv4.ip_forward=0");
        Repaired("net.ipv4.ip_forward", () => Run("sysctl", "-n", "net.ipv4.ip_forward").Trim() == "1");

        if (backend is "vxlan" or "udp")
        {
            // The device itself (vxlan: recreated with the MAC node-2's entries name; udp: a new TUN and new data path threads).
            var link = Run("ip", "-br", "link", "show", device).Split(' ', StringSplitOptions.RemoveEmptyEntries)[2];
            Run("ip", "link", "del", device);
            Repaired($"the device {device}", () => Run("ip", "-br", "link").Contains(device, StringComparison.Ordinal)
                                                   && Run("ip", "route", "show", route.ToString(), "dev", device) == routeBefore
                                                   && (backend != "vxlan" || Run("ip", "-br", "link", "show", device).Contains(link, StringComparison.Ordinal)));
        }

        var log = lab.Lab.Agents.LogTail("node-1", 200);
        Assert.Contains($"restored route {route}", log);
        Assert.Contains("restored the masquerade table ip kybernet-overlay (it was missing)", log);
        Assert.Contains("restored net.ipv4.ip_forward=1 (it was 0)", log);
        if (backend == "vxlan")
            Assert.Contains("recreated flannel.1 (vxlan 1, MAC", log);
        if (backend == "udp")
            Assert.Contains("recreated flannel0 and the data path's threads", log);
    }

    private static bool Eventually(Func<bool> condition) => Poll.Eventually(condition, TimeSpan.FromSeconds(30));
}
