using System.Security.Cryptography;
using Kybernet.Linux.Processes;

namespace Kybernet.Lab.Tests;

/// <summary>
/// Into running pods with the real kubectl, through the API server (WebSocket or SPDY from kubectl), the node's
/// kubelet and containerd's streaming server: exec with stdin, exit codes and stderr apart, a terminal that is
/// resized, attach, run -it --rm, cp both ways, port-forward.
/// </summary>
public sealed class LabPodStreamsTests
{
    private const string Pods = """
        apiVersion: v1
        kind: Pod
        metadata: {name: web, labels: {app: web}}
        spec:
          nodeName: node-2
          containers:
          - name: httpd
            image: busybox:1.35
            command: [sh, -c, "mkdir -p /www && echo served by $(hostname) > /www/index.html && exec httpd -f -p 8080 -h /www"]
            ports: [{name: http, containerPort: 8080}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec:
          selector: {app: web}
          ports: [{name: http, port: 80, targetPort: http}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: reader}
        spec:
          nodeName: node-1
          restartPolicy: Never
          containers:
          - {name: c, image: busybox:1.35, stdin: true, stdinOnce: true, command: [sh, -c, "read line; echo got $line"]}
        """;

    [Fact]
    public void Kubectl_exec_attach_cp_and_port_forward_reach_into_pods()
    {
        using var lab = new OverlayLab("vxlan", subnetManager: "kube");
        string Kubectl(params string[] args) => lab.Lab.Server.Kubectl(lab.Topology, null, args);
        ChildProcessResult Shell(string script, params (string Name, string Value)[] environment)
        {
            var env = new Dictionary<string, string> { ["KUBECONFIG"] = lab.Lab.Server.KubeconfigPath, ["HOME"] = lab.Lab.Server.Directory, ["PATH"] = "/usr/bin:/bin" };
            foreach (var (name, value) in environment)
                env[name] = value;
            return LabCluster.Run(lab.Topology.ControlPlane.Namespace, new ChildProcessOptions("/bin/sh", ["-c", script]) { Environment = env }, TimeSpan.FromSeconds(90));
        }
        lab.Lab.Server.Kubectl(lab.Topology, Pods, "apply", "-f", "-");
        Assert.True(Poll.Eventually(() => Kubectl("get", "pods", "web", "reader", "-o", "jsonpath={.items[*].status.phase}") == "Running Running", TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(500)),
            "pods run: " + Kubectl("get", "pods"));

        // A terminal: kubectl exec -it in tmux, whose window is then resized; the shell sees both sizes.
        var tmux = $"tmux -L kyt-{Environment.ProcessId}";
        void ScreenShows(string text) => Assert.True(
            Poll.Eventually(() => Shell($"{tmux} capture-pane -p").Stdout.Contains(text), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(300)),
            $"the terminal shows \"{text}\":\n{Shell($"{tmux} capture-pane -p").Stdout}");
        try
        {
            Assert.True(Shell($"{tmux} new-session -d -x 100 -y 30 'kubectl exec -it web -- sh; sleep 30'").Succeeded);
            ScreenShows("/ #"); // the prompt "/ # " (capture-pane drops a line's trailing blanks)
            Shell($"{tmux} send-keys 'stty size' Enter");
            ScreenShows("30 100");
            Shell($"{tmux} resize-window -x 120 -y 40");
            Shell($"{tmux} send-keys 'stty size' Enter");
            ScreenShows("40 120");
            Shell($"{tmux} send-keys 'exit 7' Enter");
            ScreenShows("command terminated with exit code 7");
        }
        finally
        {
            Shell($"{tmux} kill-server");
        }

        // exec, over WebSocket (kubectl's default) and over SPDY (its fallback): stdin in to its end, stdout and stderr
        // apart, the exit code out.
        foreach (var websockets in new[] { "true", "false" })
        {
            var exec = Shell("printf 'one\\ntwo\\n' | kubectl exec -i web -- sh -c 'cat; echo to-stderr >&2; exit 3'", ("KUBECTL_REMOTE_COMMAND_WEBSOCKETS", websockets));
            Assert.Equal((3, "one\ntwo\n"), (exec.ExitCode, exec.Stdout));
            Assert.Contains("to-stderr\n", exec.Stderr);
        }
        Assert.Contains("container nosuch is not valid for pod web", Shell("kubectl exec web -c nosuch -- true").Stderr);

        // attach: the container's own stdin gets the line, its answer comes back, and it ends with it (stdinOnce).
        var attached = Shell("echo hello | kubectl attach -i reader -c c");
        Assert.Contains("got hello", attached.Stdout);
        Assert.True(Poll.Eventually(() => Kubectl("get", "pod", "reader", "-o", "jsonpath={.status.phase}") == "Succeeded", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(300)));

        // run -it --rm in a terminal (script gives it one): the output, then the pod is gone.
        var run = Shell("script -qec 'kubectl run -it --rm --restart=Never --image=busybox:1.35 once -- echo hi' /dev/null");
        Assert.True(run.Succeeded, run.Stdout + run.Stderr);
        Assert.Contains("hi", run.Stdout.Split('\n').Select(l => l.Trim()));
        Assert.True(Poll.Eventually(() => Shell("kubectl get pod once").Stderr.Contains("NotFound"), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(300)), "pod once removed");

        // cp, 1 MiB each way, byte for byte.
        var local = Path.Combine(lab.Lab.Server.Directory, "one-mib");
        var back = local + ".back";
        File.WriteAllBytes(local, RandomNumberGenerator.GetBytes(1 << 20));
        try
        {
            Assert.True(Shell($"kubectl cp {local} web:/tmp/one-mib").Succeeded);
            Assert.Equal(Convert.ToHexStringLower(MD5.HashData(File.ReadAllBytes(local))), Kubectl("exec", "web", "--", "md5sum", "/tmp/one-mib").Split(' ')[0]);
            Assert.True(Shell($"kubectl cp web:/tmp/one-mib {back}").Succeeded);
            Assert.Equal(File.ReadAllBytes(local), File.ReadAllBytes(back));
        }
        finally
        {
            File.Delete(local);
            File.Delete(back);
        }

        // port-forward, tunnelled in a WebSocket (the default) and over SPDY: busybox httpd in the pod answers on 127.0.0.1.
        foreach (var (websockets, port) in new[] { ("true", 18080), ("false", 18081) })
        {
            var forwarded = Shell($$"""
                kubectl port-forward pod/web {{port}}:8080 >/dev/null & pf=$!
                for i in $(seq 100); do curl -sf http://127.0.0.1:{{port}}/ && curl -sf http://127.0.0.1:{{port}}/ && break; sleep 0.2; done
                kill $pf
                """, ("KUBECTL_PORT_FORWARD_WEBSOCKETS", websockets));
            Assert.Equal("served by web\nserved by web\n", forwarded.Stdout);
        }

        // The proxies: a pod's port (by number or name), a service's port (a ready endpoint), a node's kubelet; through
        // kubectl proxy as its users open them.
        Assert.Equal("served by web\n", Kubectl("get", "--raw", "/api/v1/namespaces/default/pods/web:8080/proxy/"));
        Assert.Equal("served by web\n", Kubectl("get", "--raw", "/api/v1/namespaces/default/pods/web:http/proxy/index.html"));
        Assert.Equal("ok", Kubectl("get", "--raw", "/api/v1/nodes/node-2/proxy/healthz"));
        Assert.True(Poll.Eventually(() => Kubectl("get", "endpoints", "web", "-o", "jsonpath={.subsets[0].addresses[0].targetRef.name}") == "web",
            TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(300)), "the service's endpoint");
        var proxied = Shell("""
            kubectl proxy --port=18001 >/dev/null & p=$!
            for i in $(seq 100); do curl -sf http://127.0.0.1:18001/api/v1/namespaces/default/services/web:http/proxy/ && break; sleep 0.2; done
            kill $p
            """);
        Assert.Equal("served by web\n", proxied.Stdout);

        // The kubelet's exec without the API server's certificate: refused.
        var node2 = lab.Topology.Machine("node-2").Address.Address;
        Assert.Equal("401", Shell($"curl -sk -o /dev/null -w '%{{http_code}}' -X POST 'https://{node2}:10250/exec/default/web/httpd?command=id&output=1'").Stdout);
        Kubectl("delete", "pod", "web", "reader", "--grace-period=1");
        Kubectl("delete", "service", "web");
    }
}
