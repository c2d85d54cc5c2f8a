using System.Net;
using Kybernet.Kubelet.Images;
using Microsoft.Extensions.Logging.Abstractions;

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

    private static string Imported(string node) => $$"""
        apiVersion: v1
        kind: Pod
        metadata: {name: imported-{{node}}}
        spec:
          nodeName: {{node}}
          restartPolicy: Never
          containers: [{name: c, image: docker.io/kybernet/imported:1, imagePullPolicy: Never}]

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
        Assert.True(Eventually(() => int.TryParse(Get("crash", "{.status.containerStatuses[0].restartCount}"), out var n) && n >= 2), "crash's restartCount grows: " + Get("crash", "{.status}"));
        Assert.True(Eventually(() => Get("missing", "{.status.containerStatuses[0].state.waiting.reason}") is "ErrImagePull" or "ImagePullBackOff"), "missing image: " + Get("missing", "{.status}"));
        Assert.Contains("registry.invalid", Get("missing", "{.status.containerStatuses[0].state.waiting.message}"));

        // An archive imported into node-2's containerd only (`kybernet image import --node`): a pod that may not pull
        // runs from it there; on node-1 the image is not present.
        var archive = new ImageBuilder(Path.Combine(lab.DataDirectory, "test-images"), NullLogger.Instance).Build(new ImageDefinition(
            "imported.tar", ["docker.io/kybernet/imported:1"],
            [LayerEntry.FileFrom("/bin/busybox", ImageInputs.DebianBusybox), LayerEntry.FileWith("/message", "from an imported archive\n")],
            new ImageConfig { Cmd = ["/bin/busybox", "cat", "/message"] }));
        Assert.Contains("imported into node-2", Run(Path.Combine(AppContext.BaseDirectory, "kybernet"),
            "image", "import", archive.Path, "--node", "node-2", "--lab", lab.Name, "--data-dir", lab.DataDirectory));
        Kubectl(Imported("node-1") + "---\n" + Imported("node-2"), "apply", "-f", "-");
        Assert.True(Eventually(() => Get("imported-node-2", "{.status.phase}") == "Succeeded"), "the imported image runs on node-2: " + Get("imported-node-2", "{.status}"));
        Assert.Contains("from an imported archive", ContainerLog(lab, "node-2", "imported-node-2", "c"));
        Assert.True(Eventually(() => Get("imported-node-1", "{.status.containerStatuses[0].state.waiting.reason}") == "ErrImageNeverPull"), "not on node-1: " + Get("imported-node-1", "{.status}"));

        // The agent (and its kubelet) restarted: web keeps its container and IP, no restart counted.
        lab.RestartAgent("node-1");
        Assert.True(Eventually(() => Kubectl(null, "get", "nodes", "node-1", "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}").Trim() == "True"), "node-1 Ready again");
        Assert.Equal((webContainer, webIp.ToString(), "0"), (Get("web", "{.status.containerStatuses[0].containerID}"), Get("web", "{.status.podIP}"), Get("web", "{.status.containerStatuses[0].restartCount}")));

        // Deleted: the kubelet stops the containers, removes sandbox, volumes and address, then the pod object.
        Kubectl(null, "delete", "pod", "web", "fetch", "crash", "missing", "imported-node-1", "imported-node-2", "--grace-period=1");
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

    private const string Probed = """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: flags}
        data: {greeting: hi, ready: "no"}
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: creds}
        stringData: {password: s3cret}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: share}
        spec:
          nodeName: node-1
          volumes:
          - {name: shared, emptyDir: {}}
          - {name: config, configMap: {name: flags}}
          - {name: secret, secret: {secretName: creds}}
          containers:
          - name: writer
            image: busybox:1.35
            command: [sh, -c, "echo from-writer > /shared/note; exec sleep 3600"]
            volumeMounts: [{name: shared, mountPath: /shared}]
          - name: reader
            image: busybox:1.35
            command: [sh, -c, "while true; do echo \"note=$(cat /shared/note) greeting=$(cat /config/greeting) password=$(cat /secret/password)\"; sleep 1; done"]
            volumeMounts: [{name: shared, mountPath: /shared}, {name: config, mountPath: /config}, {name: secret, mountPath: /secret}]
            readinessProbe: {exec: {command: [grep, -q, "yes", /config/ready]}, periodSeconds: 1}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: live}
        spec:
          nodeName: node-2
          containers:
          - name: c
            image: busybox:1.35
            command: [sh, -c, "touch /tmp/healthy; sleep 2; rm /tmp/healthy; exec sleep 3600"]
            livenessProbe: {exec: {command: [cat, /tmp/healthy]}, periodSeconds: 1, failureThreshold: 2}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: host}
        spec:
          nodeName: node-2
          hostNetwork: true
          containers:
          - name: c
            image: busybox:1.35
            command: [sh, -c, "ip -o -4 addr show dev eth0; exec sleep 3600"]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: stopper}
        spec:
          nodeName: node-1
          terminationGracePeriodSeconds: 3
          containers:
          - name: c
            image: busybox:1.35
            command: [sh, -c, "trap 'echo got-term' TERM; echo started; while true; do sleep 1; done"]
            lifecycle:
              preStop: {exec: {command: [sh, -c, "echo prestop-ran > /proc/1/fd/1"]}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: hooked}
        spec:
          nodeName: node-2
          containers:
          - name: c
            image: kybernet/agnhost:1.0
            args: [netexec, --http-port=8080, --delay-shutdown=5]
            ports: [{name: http, containerPort: 8080}]
            lifecycle:
              preStop: {httpGet: {path: "/echo?msg=prestop", port: http}}
        """;

    private const string Replicated = """
        apiVersion: v1
        kind: ReplicationController
        metadata: {name: spread}
        spec:
          replicas: 4
          selector: {app: spread}
          template:
            metadata: {labels: {app: spread}}
            spec:
              terminationGracePeriodSeconds: 1
              containers: [{name: c, image: busybox:1.35, command: [sleep, "3600"]}]
        """;

    [Fact]
    public void Probes_volumes_host_network_hooks_and_replication_behave_as_declared()
    {
        using var lab = new OverlayLab("vxlan", subnetManager: "kube");
        string Kubectl(string? stdin, params string[] args) => lab.Lab.Server.Kubectl(lab.Topology, stdin, args);
        string Get(string pod, string path) => Kubectl(null, "get", "pod", pod, "-o", $"jsonpath={path}").Trim();
        string Condition(string pod, string type) => Get(pod, $"{{.status.conditions[?(@.type==\"{type}\")].status}}");
        Assert.True(Eventually(() => Kubectl(null, "get", "nodes", "-o", "jsonpath={.items[*].status.conditions[?(@.type==\"Ready\")].status}").Trim() == "True True"), "both nodes Ready");

        Kubectl(Probed, "apply", "-f", "-");
        foreach (var pod in new[] { "share", "live", "host", "stopper", "hooked" })
            Assert.True(Eventually(() => Get(pod, "{.status.phase}") == "Running"), $"{pod} runs: {Get(pod, "{.status}")}");

        // Two containers share an emptyDir; the reader sees the ConfigMap and the Secret. Its readiness probe fails
        // (ready: no), so the pod is Running but not Ready, and it becomes Ready when the ConfigMap says yes.
        Assert.True(Eventually(() => ContainerLog(lab, "node-1", "share", "reader").Contains("note=from-writer greeting=hi password=s3cret", StringComparison.Ordinal)), "reader sees the volumes");
        Assert.Equal("False", Condition("share", "Ready"));
        Assert.Equal(("false", "true"), (Get("share", "{.status.containerStatuses[?(@.name==\"reader\")].ready}"), Get("share", "{.status.containerStatuses[?(@.name==\"writer\")].ready}")));
        Kubectl(null, "patch", "configmap", "flags", "--type=merge", "-p", "{\"data\":{\"greeting\":\"hello\",\"ready\":\"yes\"}}");
        Assert.True(Eventually(() => Condition("share", "Ready") == "True"), "share Ready once the ConfigMap says so: " + Get("share", "{.status}"));
        Assert.True(Eventually(() => ContainerLog(lab, "node-1", "share", "reader").Contains("greeting=hello", StringComparison.Ordinal)), "the updated ConfigMap reaches the volume");
        Kubectl(null, "patch", "configmap", "flags", "--type=merge", "-p", "{\"data\":{\"ready\":\"no\"}}");
        Assert.True(Eventually(() => Condition("share", "Ready") == "False"), "share leaves Ready when its probe fails again");

        // A failing liveness probe restarts the container (the same container name, a new attempt).
        Assert.True(Eventually(() => int.TryParse(Get("live", "{.status.containerStatuses[0].restartCount}"), out var n) && n >= 1), "live restarted: " + Get("live", "{.status}"));
        Assert.Contains("Liveness probe failed", Kubectl(null, "get", "events", "--field-selector", "involvedObject.name=live", "-o", "jsonpath={.items[*].message}"));

        // A hostNetwork pod is in the node's namespace: it sees the node's eth0 and its address is the node's.
        var nodeIp = Kubectl(null, "get", "node", "node-2", "-o", "jsonpath={.status.addresses[?(@.type==\"InternalIP\")].address}").Trim();
        Assert.Equal(nodeIp, Get("host", "{.status.podIP}"));
        Assert.True(Eventually(() => ContainerLog(lab, "node-2", "host", "c").Contains($"eth0    inet {nodeIp}/", StringComparison.Ordinal)), "host sees eth0: " + ContainerLog(lab, "node-2", "host", "c"));

        // Deleting runs the preStop hook, then TERM (which this container ignores), then KILL after the grace period.
        Kubectl(null, "delete", "pod", "stopper", "--wait=false");
        Assert.True(Eventually(() => ContainerLog(lab, "node-1", "stopper", "c").Contains("got-term", StringComparison.Ordinal)), "stopper got TERM");
        var stopping = ContainerLog(lab, "node-1", "stopper", "c");
        Assert.True(stopping.IndexOf("prestop-ran", StringComparison.Ordinal) is var hook && hook >= 0 && hook < stopping.IndexOf("got-term", StringComparison.Ordinal), "preStop before TERM:\n" + stopping);
        Assert.True(Eventually(() => Kubectl(null, "get", "pods", "stopper", "--ignore-not-found", "-o", "name").Trim() == ""), "stopper gone although it ignored TERM");
        Assert.Contains("pod default/stopper: container c stopped with exit code 137", File.ReadAllText(Path.Combine(lab.Lab.Agents.NodeDirectory("node-1"), "agent.log")));

        // An httpGet preStop hook: a GET to the pod's IP and its named port, before SIGTERM (which netexec answers
        // by waiting 5 s, so its log is still there to read).
        Kubectl(null, "delete", "pod", "hooked", "--wait=false");
        Assert.True(Eventually(() => ContainerLog(lab, "node-2", "hooked", "c") is var log && log.Contains("GET /echo?msg=prestop", StringComparison.Ordinal)
                                     && log.Contains("Sleeping 5 seconds before terminating", StringComparison.Ordinal)), "hooked's preStop GET: " + ContainerLog(lab, "node-2", "hooked", "c"));
        var hooked = ContainerLog(lab, "node-2", "hooked", "c");
        Assert.True(hooked.IndexOf("GET /echo?msg=prestop", StringComparison.Ordinal) < hooked.IndexOf("Sleeping 5 seconds", StringComparison.Ordinal), "the hook before SIGTERM:\n" + hooked);
        Assert.True(Eventually(() => Kubectl(null, "get", "pods", "hooked", "--ignore-not-found", "-o", "name").Trim() == ""), "hooked gone");

        // node-1's containerd restarted alone: its shims kept share's containers running (same ids, no restart), and
        // the kubelet, which reconnects, still runs pods there (the RC below puts two on node-1).
        var shareContainers = Get("share", "{.status.containerStatuses[*].containerID} {.status.containerStatuses[*].restartCount}");
        string ReadySince() => Kubectl(null, "get", "node", "node-1", "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status} {.status.conditions[?(@.type==\"Ready\")].lastTransitionTime}");
        var readySince = ReadySince();
        lab.RestartContainerd("node-1");
        Assert.Equal(shareContainers, Get("share", "{.status.containerStatuses[*].containerID} {.status.containerStatuses[*].restartCount}"));
        Assert.Equal("Running", Get("share", "{.status.phase}"));
        Assert.Equal(readySince, ReadySince()); // the node stayed Ready: a runtime silent for a moment is not down

        // An RC of 4: the scheduler spreads them over both nodes; a deleted pod is replaced.
        Kubectl(Replicated, "apply", "-f", "-");
        string Running() => Kubectl(null, "get", "pods", "-l", "app=spread", "--field-selector", "status.phase=Running", "-o", "jsonpath={range .items[*]}{.metadata.name} {.spec.nodeName}{\"\\n\"}{end}");
        List<string[]> Spread() => Running().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToList();
        Assert.True(Eventually(() => Spread().Count == 4), "4 replicas run: " + Running());
        Assert.Equal(["node-1", "node-2"], Spread().Select(p => p[1]).Distinct().Order());
        var victim = Spread()[0][0];
        Kubectl(null, "delete", "pod", victim);
        Assert.True(Eventually(() => Spread() is { Count: 4 } now && now.All(p => p[0] != victim)), "replaced: " + Running());
        Kubectl(null, "delete", "rc", "spread");
        Kubectl(null, "delete", "pod", "share", "live", "host", "--grace-period=1");
        Assert.True(Eventually(() => Kubectl(null, "get", "pods", "-o", "name").Trim() == ""), "all pods gone: " + Kubectl(null, "get", "pods"));
    }

    [Fact]
    public void Two_hundred_pod_lifecycles_leave_nothing_behind()
    {
        using var lab = new OverlayLab("vxlan", subnetManager: "kube");
        string Kubectl(string? stdin, params string[] args) => lab.Lab.Server.Kubectl(lab.Topology, stdin, args);
        Assert.True(Eventually(() => Kubectl(null, "get", "nodes", "-o", "jsonpath={.items[*].status.conditions[?(@.type==\"Ready\")].status}").Trim() == "True True"), "both nodes Ready");
        string[] nodes = ["node-1", "node-2"];
        var before = nodes.ToDictionary(n => n, n => NodeResources.Of(lab, n));

        // 10 rounds of 20 pods (10 a node) created at once, each round Running, then deleted.
        const int Rounds = 10, PerRound = 20;
        for (var round = 0; round < Rounds; round++)
        {
            var pods = string.Join("---\n", Enumerable.Range(0, PerRound).Select(i => $$"""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: cycle-{{round}}-{{i}}
                  labels: {round: "{{round}}" }
                spec:
                  nodeName: {{nodes[i % 2]}}
                  terminationGracePeriodSeconds: 1
                  containers: [{name: c, image: busybox:1.35, command: [sleep, "3600"]}]

                """));
            Kubectl(pods, "apply", "-f", "-");
            var selector = $"round={round}";
            Assert.True(Eventually(() => Kubectl(null, "get", "pods", "-l", selector, "-o", "jsonpath={.items[*].status.phase}")
                .Split(' ', StringSplitOptions.RemoveEmptyEntries).Count(p => p == "Running") == PerRound), $"round {round} runs: " + Kubectl(null, "get", "pods", "-l", selector));
            Kubectl(null, "delete", "pods", "-l", selector);
        }
        Assert.Equal("", Kubectl(null, "get", "pods", "-o", "name").Trim());

        // Nothing of the 200 pods is left on either node: the kubelet removed sandboxes and containers through the
        // runtime, the runtime removed shims, mounts and cgroups, and our CNI plugins the veths, netns and addresses.
        foreach (var node in nodes)
        {
            var after = NodeResources.Of(lab, node);
            Assert.True(Eventually(() => (after = NodeResources.Of(lab, node)).Equals(before[node]), 30), $"{node} before:\n{before[node]}\nafter:\n{after}");
        }
    }

    /// <summary>What pods hold on a node, as the kernel and the node's files say (not as the kubelet believes).</summary>
    private sealed record NodeResources(string Reservations, string Veths, string NetnsPins, string Containers, string Shims, string Cgroups, string Mounts)
    {
        public static NodeResources Of(OverlayLab lab, string node)
        {
            var dir = lab.Lab.Agents.NodeDirectory(node);
            var machine = lab.Topology.Machines.Single(m => m.Name == node);
            var containerd = Path.Combine(dir, "containerd");
            var ipam = Path.Combine(dir, "ipam");
            var cgroupParent = Kybernet.Lab.LabContainerd.CgroupParent(lab.Topology, node).Trim('/');
            return new NodeResources(
                Lines(Directory.Exists(ipam) ? Directory.EnumerateFiles(ipam, "*", SearchOption.AllDirectories).Where(f => IPAddress.TryParse(Path.GetFileName(f), out _)) : []),
                Lines(Run("ip", "-n", Path.GetFileName(machine.Namespace), "-o", "link", "show", "type", "veth").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(':')[1].Trim())),
                Lines(Directory.Exists(Path.Combine(containerd, "state")) ? Directory.EnumerateFiles(Path.Combine(containerd, "state"), "cni-*", SearchOption.AllDirectories) : []),
                Lines(Run("ctr", "--address", Path.Combine(containerd, "containerd.sock"), "-n", "k8s.io", "containers", "list", "-q").Split('\n', StringSplitOptions.RemoveEmptyEntries)),
                Lines(Directory.EnumerateDirectories("/proc").Select(p => Path.Combine(p, "cmdline")).Where(File.Exists).Select(SafeRead)
                    .Where(c => c.Contains("containerd-shim", StringComparison.Ordinal) && c.Contains(containerd, StringComparison.Ordinal))),
                Lines(Directory.EnumerateDirectories("/sys/fs/cgroup").Where(h => new DirectoryInfo(h).LinkTarget is null)
                    .Select(h => Path.Combine(h, cgroupParent)).Where(Directory.Exists)
                    .SelectMany(p => Directory.EnumerateDirectories(p, "*", SearchOption.AllDirectories))),
                Lines(File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4]).Where(m => m.StartsWith(dir + "/", StringComparison.Ordinal))));
        }

        private static string Lines(IEnumerable<string> items) => string.Join('\n', items.Order(StringComparer.Ordinal));

        private static string SafeRead(string path)
        {
            try
            {
                return File.ReadAllText(path).Replace('\0', ' ');
            }
            catch (IOException)
            {
                return ""; // the process ended while we looked
            }
        }

        public override string ToString() =>
            $"reservations: {Reservations}\nveths: {Veths}\nnetns pins: {NetnsPins}\ncontainers: {Containers}\nshims: {Shims}\ncgroups: {Cgroups}\nmounts: {Mounts}";
    }

    /// <summary>Runs a program to its end; its output, or an exception with its error output.</summary>
    private static string Run(string program, params string[] args)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"{program} {string.Join(' ', args)}: {error}");
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

    private static bool Eventually(Func<bool> condition, int seconds = 90) => Poll.Eventually(condition, TimeSpan.FromSeconds(seconds), TimeSpan.FromMilliseconds(500));
}
