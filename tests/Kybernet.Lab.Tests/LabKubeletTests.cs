using System.Net;

namespace Kybernet.Lab.Tests;

/// <summary>
/// The kubelet where users meet it: a 2-node kube-mode lab (each node its own containerd, our CNI plugins, our pause),
/// driven by the real kubectl. Pods run, get an address in their node's subnet, reach each other across nodes, see
/// their environment and volumes, restart as their policy says, survive a kubelet restart, and leave nothing behind.
/// </summary>
public sealed class LabKubeletTests
{
    private const string Web = """
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          nodeName: node-1
          volumes: [{name: site, emptyDir: {}}]
          initContainers:
          - {name: one, image: busybox:1.35, command: [sh, -c, "echo one >> /site/order"], volumeMounts: [{name: site, mountPath: /site}]}
          - {name: two, image: busybox:1.35, command: [sh, -c, "echo two >> /site/order"], volumeMounts: [{name: site, mountPath: /site}]}
          containers:
          - name: httpd
            image: busybox:1.35
            command: [sh, -c, "hostname > /site/index.html; exec httpd -f -p 8080 -h /site"]
            volumeMounts: [{name: site, mountPath: /site}]
        """;

    /// <summary>On the other node: prints what its environment says, then fetches from web by its pod IP.</summary>
    private static string Fetch(IPAddress web) => $$"""
        apiVersion: v1
        kind: Pod
        metadata: {name: fetch}
        spec:
          nodeName: node-2
          restartPolicy: Never
          containers:
          - name: wget
            image: busybox:1.35
            command: [sh, -c, "echo env $MY_IP $MY_NODE; wget -qO- http://{{web}}:8080/ http://{{web}}:8080/order"]
            env:
            - name: MY_IP
              valueFrom:
                fieldRef: {fieldPath: status.podIP}
            - name: MY_NODE
              valueFrom:
                fieldRef: {fieldPath: spec.nodeName}
        """;

    private const string Crashing = """
        apiVersion: v1
        kind: Pod
        metadata: {name: crash}
        spec:
          nodeName: node-2
          containers: [{name: c, image: busybox:1.35, command: [sh, -c, "exit 3"]}]
        """;

    private const string Missing = """
        apiVersion: v1
        kind: Pod
        metadata: {name: missing}
        spec:
          nodeName: node-1
          containers: [{name: c, image: registry.invalid/nothing:1, imagePullPolicy: IfNotPresent}]
        """;

    [Fact]
    public void Pods_run_on_containerd_reach_each_other_across_nodes_restart_by_policy_and_leave_nothing()
    {
        using var lab = new OverlayLab("vxlan", subnetManager: "kube");
        string Kubectl(string? stdin, params string[] args) => lab.Lab.Server.Kubectl(lab.Topology, stdin, args);
        string Get(string pod, string path) => Kubectl(null, "get", "pod", pod, "-o", $"jsonpath={path}").Trim();

        // Every node registered by its kubelet, Ready, on containerd.
        Assert.True(Eventually(() => Kubectl(null, "get", "nodes", "-o", "jsonpath={range .items[*]}{.status.conditions[?(@.type==\"Ready\")].status} {.status.nodeInfo.containerRuntimeVersion}{\"\\n\"}{end}")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.StartsWith("True containerd://", StringComparison.Ordinal)) == 2), "both nodes Ready on containerd");

        // Init containers in order into an emptyDir, then the app serves it; the pod's IP is in node-1's subnet.
        Kubectl(Web, "apply", "-f", "-");
        Assert.True(Eventually(() => Get("web", "{.status.phase}") == "Running" && Get("web", "{.status.podIP}").Length > 0), "web runs");
        var webIp = IPAddress.Parse(Get("web", "{.status.podIP}"));
        Assert.True(lab.Subnet("node-1").Contains(webIp), $"{webIp} in node-1's subnet {lab.Subnet("node-1")}");
        Assert.Equal("Completed Completed", Get("web", "{.status.initContainerStatuses[*].state.terminated.reason}"));
        var webContainer = Get("web", "{.status.containerStatuses[0].containerID}");
        Assert.StartsWith("containerd://", webContainer);

        // A pod on node-2 fetches from it by IP (across the vxlan overlay) and sees its own IP and node in its environment.
        Kubectl(Fetch(webIp), "apply", "-f", "-");
        Assert.True(Eventually(() => Get("fetch", "{.status.phase}") == "Succeeded"), "fetch ran to completion: " + Get("fetch", "{.status}"));
        var fetchIp = Get("fetch", "{.status.podIP}");
        var log = ContainerLog(lab, "node-2", "fetch", "wget");
        Assert.Contains($"env {fetchIp} node-2", log);
        Assert.Contains("web", log); // the hostname web's httpd serves
        Assert.Contains("one\ntwo", log); // written by the init containers, in their order

        // A crashing container is restarted with a growing back-off; an image that cannot be pulled says why.
        Kubectl(Crashing, "apply", "-f", "-");
        Kubectl(Missing, "apply", "-f", "-");
        Assert.True(Eventually(() => int.TryParse(Get("crash", "{.status.containerStatuses[0].restartCount}"), out var n) && n >= 1 &&
                                     Get("crash", "{.status.containerStatuses[0].state.waiting.reason}") == "CrashLoopBackOff"), "crash is in CrashLoopBackOff: " + Get("crash", "{.status}"));
        Assert.Equal("3", Get("crash", "{.status.containerStatuses[0].lastState.terminated.exitCode}"));
        Assert.True(Eventually(() => Get("missing", "{.status.containerStatuses[0].state.waiting.reason}") is "ErrImagePull" or "ImagePullBackOff"), "missing image: " + Get("missing", "{.status}"));
        Assert.Contains("registry.invalid", Get("missing", "{.status.containerStatuses[0].state.waiting.message}"));

        // The agent (and its kubelet) restarted: web keeps its container and IP, no restart counted.
        lab.RestartAgent("node-1");
        Assert.True(Eventually(() => Kubectl(null, "get", "nodes", "node-1", "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}").Trim() == "True"), "node-1 Ready again");
        Assert.Equal((webContainer, webIp.ToString(), "0"), (Get("web", "{.status.containerStatuses[0].containerID}"), Get("web", "{.status.podIP}"), Get("web", "{.status.containerStatuses[0].restartCount}")));

        // Deleted: the kubelet stops the containers, removes sandbox, volumes and address, then the pod object.
        Kubectl(null, "delete", "pod", "web", "fetch", "crash", "missing", "--grace-period=1");
        Assert.Equal("", Kubectl(null, "get", "pods", "-o", "name").Trim());
        foreach (var node in new[] { "node-1", "node-2" })
        {
            var ipam = Path.Combine(lab.Lab.Agents.NodeDirectory(node), "ipam");
            var reserved = Directory.Exists(ipam) ? Directory.EnumerateFiles(ipam, "*", SearchOption.AllDirectories).Select(Path.GetFileName)
                .Where(f => IPAddress.TryParse(f, out _)).ToList() : [];
            Assert.True(reserved.Count == 0, $"{node} still reserves {string.Join(", ", reserved)}");
            var pods = Path.Combine(lab.Lab.Agents.NodeDirectory(node), "kubelet", "pods");
            Assert.True(!Directory.Exists(pods) || !Directory.EnumerateFileSystemEntries(pods).Any(), $"{node} keeps pod directories");
        }
    }

    /// <summary>The container's log as the runtime wrote it on the node (CRI format: time, stream, tag, line).</summary>
    private static string ContainerLog(OverlayLab lab, string node, string pod, string container)
    {
        var logs = Path.Combine(lab.Lab.Agents.NodeDirectory(node), "pod-logs");
        var dir = Directory.EnumerateDirectories(logs, $"default_{pod}_*").Single();
        return string.Join('\n', Directory.EnumerateFiles(Path.Combine(dir, container), "*.log").SelectMany(File.ReadAllLines).Select(Payload));
    }

    /// <summary>A CRI log line's text: "2026-... stdout F text".</summary>
    private static string Payload(string line)
    {
        var parts = line.Split(' ', 4);
        return parts.Length == 4 ? parts[3] : line;
    }

    private static bool Eventually(Func<bool> condition, int seconds = 90)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                return false;
            Thread.Sleep(500);
        }
        return true;
    }
}
