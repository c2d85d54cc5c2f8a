using Kybernet.Linux.Processes;

namespace Kybernet.Lab.Tests;

/// <summary>
/// Docker's network modes on a live node, as `kybernet lab net` shows them from the node's containerd and kernel:
/// a bridged pod, a hostNetwork pod, and a pod of two containers in one sandbox (container mode) sharing one pid
/// namespace; checked against the kernel from outside (the veth on the node, its bridge).
/// </summary>
public sealed class LabNetworkModesTests
{
    private const string Pods = """
        apiVersion: v1
        kind: Pod
        metadata: {name: bridged}
        spec:
          nodeName: node-1
          containers: [{name: c, image: busybox:1.35, command: [sleep, "3600"]}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: hosted}
        spec:
          nodeName: node-1
          hostNetwork: true
          containers: [{name: c, image: busybox:1.35, command: [sleep, "3600"]}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: pair}
        spec:
          nodeName: node-1
          shareProcessNamespace: true
          containers:
          - {name: a, image: busybox:1.35, command: [sleep, "3600"]}
          - {name: b, image: busybox:1.35, command: [sleep, "3600"]}
        """;

    [Fact]
    public void Net_ls_and_inspect_show_each_pods_mode_and_namespace()
    {
        using var lab = new OverlayLab("vxlan", subnetManager: "kube");
        string Kubectl(params string[] args) => lab.Lab.Server.Kubectl(lab.Topology, null, args);
        ChildProcessResult Net(params string[] args) => LabCluster.Run(lab.Topology.ControlPlane.Namespace,
            new ChildProcessOptions(Path.Combine(AppContext.BaseDirectory, "kybernet"), ["lab", "--name", lab.Name, "--data-dir", lab.DataDirectory, "net", .. args]),
            TimeSpan.FromSeconds(60));
        lab.Lab.Server.Kubectl(lab.Topology, Pods, "apply", "-f", "-");
        Assert.True(Poll.Eventually(() => Kubectl("get", "pods", "bridged", "hosted", "pair", "-o", "jsonpath={.items[*].status.phase}") == "Running Running Running",
            TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(500)), Kubectl("get", "pods"));

        var ls = Net("ls", "node-1");
        Assert.True(ls.Succeeded, ls.Stderr);
        var rows = ls.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .ToDictionary(l => l.Split(' ')[0], l => l);
        var subnet = lab.Subnet("node-1");
        Assert.Matches($@"^bridge\s+kybernet-bridge\s+{subnet.BaseAddress}/{subnet.PrefixLength}\s+\S+\s+default/bridged, default/pair$", rows["bridge"]);
        Assert.Matches(@"^host\s+host\s+-\s+-\s+default/hosted$", rows["host"]);
        Assert.Matches(@"^none\s+null\s+-\s+-\s+-$", rows["none"]);
        Assert.Matches(@"^container\s+container\s+-\s+-\s+default/pair \(a, b\)$", rows["container"]);

        // The pod's own view: its IP, its veth and the peer on the node, its containers in one network and one pid namespace.
        var inspect = Net("inspect", "node-1", "pair");
        Assert.True(inspect.Succeeded, inspect.Stderr);
        var podIp = Kubectl("get", "pod", "pair", "-o", "jsonpath={.status.podIP}");
        Assert.Contains($"ip:         {podIp}\n", inspect.Stdout);
        var eth0 = inspect.Stdout.Split('\n').Single(l => l.TrimStart().StartsWith("eth0", StringComparison.Ordinal));
        Assert.Contains($"{podIp}/{subnet.PrefixLength}", eth0);
        var peer = System.Text.RegularExpressions.Regex.Match(eth0, @"veth peer (\S+) on the node \(port of cni0\)").Groups[1].Value;
        Assert.NotEmpty(peer);
        var onNode = LabCluster.Run(lab.Topology.Machine("node-1").Namespace, new ChildProcessOptions("/usr/sbin/ip", ["-o", "link", "show", peer]), TimeSpan.FromSeconds(10));
        Assert.Contains("master cni0", onNode.Stdout); // the kernel agrees: that veth is on the node, a port of the bridge
        Assert.Matches(@"\n    a +pid \d+ +shares the sandbox's netns, shares its pid namespace\n", inspect.Stdout);
        Assert.Matches(@"\n    b +pid \d+ +shares the sandbox's netns, shares its pid namespace\n", inspect.Stdout);
        Assert.Contains("netns:      /", inspect.Stdout);

        var hosted = Net("inspect", "node-1", "hosted");
        Assert.Contains("mode:       host", hosted.Stdout);
        Assert.Contains("netns:      the node's own", hosted.Stdout);
        var bridge = Net("inspect", "node-1", "bridge");
        Assert.Contains("default/bridged", bridge.Stdout);
        Assert.Contains("eth0 <-> veth", bridge.Stdout);
        Assert.Contains("no network or running pod \"nosuch\"", Net("inspect", "node-1", "nosuch").Stderr);
        Kubectl("delete", "pod", "bridged", "hosted", "pair", "--grace-period=1");
    }
}
