using System.Text.RegularExpressions;

namespace Kybernet.Lab.Tests;

/// <summary>
/// Into the pods, where users meet it: the real kubectl reads container logs through the API server's pods/log and
/// the node's kubelet API (HTTPS on :10250, open to the API server's client certificate alone).
/// </summary>
public sealed partial class LabPodAccessTests
{
    private const string Pods = """
        apiVersion: v1
        kind: Pod
        metadata: {name: counter}
        spec:
          nodeName: node-1
          containers:
          - {name: c, image: busybox:1.35, command: [sh, -c, "i=0; while true; do i=$((i+1)); echo line $i; echo oops $i >&2; sleep 0.5; done"]}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: crasher}
        spec:
          nodeName: node-2
          volumes: [{name: state, emptyDir: {}}]
          containers:
          - name: c
            image: busybox:1.35
            command: [sh, -c, "n=$(cat /state/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /state/n; echo attempt $n; sleep 3; exit 1"]
            volumeMounts: [{name: state, mountPath: /state}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: two}
        spec:
          nodeName: node-2
          containers:
          - {name: a, image: busybox:1.35, command: [sh, -c, "echo from a; sleep 3600"]}
          - {name: b, image: busybox:1.35, command: [sh, -c, "echo from b; sleep 3600"]}
        """;

    [Fact]
    public void Kubectl_logs_reads_containers_through_the_kubelet_api()
    {
        using var lab = new OverlayLab("vxlan", subnetManager: "kube");
        string Kubectl(params string[] args) => lab.Lab.Server.Kubectl(lab.Topology, null, args);
        // What kubectl prints on stdout and stderr and its exit code, for the commands that are meant to fail or run on.
        Linux.Processes.ChildProcessResult Shell(string script) => LabCluster.Run(lab.Topology.ControlPlane.Namespace,
            new Linux.Processes.ChildProcessOptions("/bin/sh", ["-c", script])
            {
                Environment = new Dictionary<string, string> { ["KUBECONFIG"] = lab.Lab.Server.KubeconfigPath, ["HOME"] = lab.Lab.Server.Directory, ["PATH"] = "/usr/bin:/bin" },
            }, TimeSpan.FromSeconds(60));
        lab.Lab.Server.Kubectl(lab.Topology, Pods, "apply", "-f", "-");
        Assert.True(Eventually(() => Kubectl("get", "pods", "counter", "two", "-o", "jsonpath={.items[*].status.phase}") == "Running Running"), "pods run: " + Kubectl("get", "pods"));

        // The whole log, both streams; the last lines; with timestamps; a byte limit.
        Assert.True(Eventually(() => Kubectl("logs", "counter").Contains("line 3\n", StringComparison.Ordinal)), "counter's log");
        var all = Kubectl("logs", "counter");
        Assert.StartsWith("line 1\n", all.Replace("oops 1\n", "")); // stdout and stderr are two pipes: their order may differ
        Assert.Contains("oops 1\n", all);
        Assert.Equal(2, Kubectl("logs", "counter", "--tail=2").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Matches(TimestampedLine(), Kubectl("logs", "counter", "--tail=1", "--timestamps").Trim());
        Assert.Equal(all[..5], Kubectl("logs", "counter", "--limit-bytes=5"));
        Assert.Equal("from b\n", Kubectl("logs", "two", "-c", "b"));

        // Following: new lines arrive while kubectl waits (6 s of a line every half second).
        var seen = Numbers(Kubectl("logs", "counter")).Max();
        var followed = Shell("timeout 6 kubectl logs -f counter --tail=1; true").Stdout;
        Assert.True(Numbers(followed).Max() >= seen + 4, $"followed past line {seen}:\n{followed}");

        // --previous: the attempt before the current one; a container that stops ends a follow by itself.
        Assert.True(Eventually(() => int.TryParse(Kubectl("get", "pod", "crasher", "-o", "jsonpath={.status.containerStatuses[0].restartCount}"), out var n) && n >= 1),
            "crasher restarted");
        var previous = Kubectl("logs", "crasher", "--previous").Trim();
        Assert.Matches(@"^attempt \d+$", previous);
        var restarts = int.Parse(Kubectl("get", "pod", "crasher", "-o", "jsonpath={.status.containerStatuses[0].restartCount}"));
        // Waiting in back-off, the previous container is the one that just stopped: attempt restartCount + 1.
        Assert.InRange(int.Parse(previous.Split(' ')[1]), 1, restarts + 1);
        var ended = Shell("timeout 30 kubectl logs -f crasher; echo exit $?");
        Assert.Matches(@"exit 0\s*$", ended.Stdout);

        // Refusals in kubectl's words: no such pod, a choice of containers, nothing before the first attempt.
        Assert.Contains("(NotFound): pods \"nosuch\" not found", Shell("kubectl logs nosuch").Stderr);
        var defaulted = Shell("kubectl logs two");
        Assert.Equal(("from a\n", "Defaulted container \"a\" out of: a, b\n"), (defaulted.Stdout, defaulted.Stderr)); // kubectl picks the first
        Assert.Contains("a container name must be specified for pod two, choose one of: [a b]", Shell("kubectl get --raw /api/v1/namespaces/default/pods/two/log").Stderr);
        Assert.Contains("previous terminated container \"c\" in pod \"counter\" not found", Shell("kubectl logs counter --previous").Stderr);

        // The kubelet API itself: without a client certificate, 401, from the control plane or from another node.
        var node1 = lab.Topology.Machine("node-1").Address.Address;
        foreach (var from in new[] { lab.Topology.ControlPlane.Namespace, lab.Topology.Machine("node-2").Namespace })
        {
            var anonymous = LabCluster.Run(from, new Linux.Processes.ChildProcessOptions("/usr/bin/curl",
                ["-sk", "-o", "/dev/null", "-w", "%{http_code}", $"https://{node1}:10250/containerLogs/default/counter/c"]), TimeSpan.FromSeconds(30));
            Assert.Equal("401", anonymous.Stdout);
        }
        Kubectl("delete", "pod", "counter", "crasher", "two", "--grace-period=1");
    }

    private static IEnumerable<int> Numbers(string log) =>
        LineNumber().Matches(log).Select(m => int.Parse(m.Groups[1].Value)).DefaultIfEmpty(0);

    [GeneratedRegex(@"line (\d+)")]
    private static partial Regex LineNumber();

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z (line|oops) \d+$")]
    private static partial Regex TimestampedLine();

    private static bool Eventually(Func<bool> condition, int seconds = 90) => Poll.Eventually(condition, TimeSpan.FromSeconds(seconds), TimeSpan.FromMilliseconds(500));
}
