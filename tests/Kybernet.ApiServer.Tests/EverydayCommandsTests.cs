namespace Kybernet.ApiServer.Tests;

/// <summary>
/// Every command issue 10 names, as a user types it, with the real kubectl 1.32: the generators
/// (which send protobuf), run/expose/autoscale, drain against a PodDisruptionBudget, explain, auth,
/// chunked lists, apply --prune, and `delete all --all` that the built-in Service survives.
/// </summary>
public sealed class EverydayCommandsTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static int _counter;
    private readonly Kubectl _k = server.Kubectl;

    private string NewNamespace()
    {
        var name = $"e{Interlocked.Increment(ref _counter)}-{Guid.NewGuid():N}"[..12];
        _k.Ok("create", "namespace", name);
        return name;
    }

    [Fact]
    public void Every_create_generator_makes_its_object()
    {
        var ns = NewNamespace();
        string[][] commands =
        [
            ["create", "deployment", "web", "--image=nginx:1.27", "--replicas=2", "--port=80"],
            ["create", "service", "clusterip", "c", "--tcp=80:8080"],
            ["create", "service", "nodeport", "n", "--tcp=80:8080"],
            ["create", "service", "loadbalancer", "l", "--tcp=80:8080"],
            ["create", "serviceaccount", "bot"],
            ["create", "job", "once", "--image=busybox", "--", "echo", "hi"],
            ["create", "cronjob", "tick", "--image=busybox", "--schedule=*/5 * * * *", "--", "date"],
            ["create", "ingress", "site", "--rule=example.com/=c:80"],
            ["create", "poddisruptionbudget", "keep", "--selector=app=web", "--min-available=1"],
            ["create", "quota", "limits", "--hard=pods=10,cpu=4"],
            ["create", "role", "pod-reader", "--verb=get,list,watch", "--resource=pods"],
            ["create", "rolebinding", "bot-reads", "--role=pod-reader", $"--serviceaccount={ns}:bot"],
        ];
        foreach (var command in commands)
            Assert.Contains(" created", _k.Ok(["-n", ns, .. command]));
        Assert.Contains("priorityclass.scheduling.k8s.io/high-" + ns + " created",
            _k.Ok("create", "priorityclass", "high-" + ns, "--value=1000", "--description=tests"));

        Assert.Equal("2", _k.Ok("get", "deployment", "web", "-n", ns, "-o", "jsonpath={.spec.replicas}"));
        Assert.Equal("RollingUpdate", _k.Ok("get", "deployment", "web", "-n", ns, "-o", "jsonpath={.spec.strategy.type}"));
        Assert.Equal("NodePort", _k.Ok("get", "service", "n", "-n", ns, "-o", "jsonpath={.spec.type}"));
        Assert.Matches(@"^\d+$", _k.Ok("get", "service", "n", "-n", ns, "-o", "jsonpath={.spec.ports[0].nodePort}"));
        Assert.Equal("LoadBalancer", _k.Ok("get", "service", "l", "-n", ns, "-o", "jsonpath={.spec.type}"));
        Assert.Equal("6", _k.Ok("get", "job", "once", "-n", ns, "-o", "jsonpath={.spec.backoffLimit}"));
        Assert.Equal("*/5 * * * *", _k.Ok("get", "cronjob", "tick", "-n", ns, "-o", "jsonpath={.spec.schedule}"));
        Assert.Equal("example.com", _k.Ok("get", "ingress", "site", "-n", ns, "-o", "jsonpath={.spec.rules[0].host}"));
        Assert.Equal("1", _k.Ok("get", "pdb", "keep", "-n", ns, "-o", "jsonpath={.spec.minAvailable}"));
        Assert.Equal("10", _k.Ok("get", "quota", "limits", "-n", ns, "-o", "jsonpath={.spec.hard.pods}"));
        Assert.Equal("1000", _k.Ok("get", "priorityclass", "high-" + ns, "-o", "jsonpath={.value}"));
        Assert.Equal("pod-reader", _k.Ok("get", "rolebinding", "bot-reads", "-n", ns, "-o", "jsonpath={.roleRef.name}"));

        // A token for the account: a JWT whose subject is the service account.
        var token = _k.Ok("create", "token", "bot", "-n", ns).Trim();
        Assert.Equal(3, token.Split('.').Length);
        var whoami = _k.Ok("auth", "whoami", "--token", token, "-o", "jsonpath={.status.userInfo.username}");
        Assert.Equal($"system:serviceaccount:{ns}:bot", whoami);
    }

    [Fact]
    public void Run_expose_and_autoscale()
    {
        var ns = NewNamespace();
        Assert.Contains("pod/solo created", _k.Ok("run", "solo", "--image=nginx:1.27", "--port=80", "-n", ns));
        Assert.Equal("run=solo", _k.Ok("get", "pod", "solo", "-n", ns, "-o", "jsonpath={.metadata.labels}").Replace("{\"run\":\"solo\"}", "run=solo"));
        Assert.Contains("service/solo exposed", _k.Ok("expose", "pod", "solo", "--port=80", "-n", ns));

        _k.Ok("create", "deployment", "web", "--image=nginx:1.27", "-n", ns);
        Assert.Contains("service/web exposed", _k.Ok("expose", "deployment", "web", "--port=80", "--target-port=8080", "-n", ns));
        Assert.Equal("8080", _k.Ok("get", "service", "web", "-n", ns, "-o", "jsonpath={.spec.ports[0].targetPort}"));
        Assert.Equal("app=web", _k.Ok("get", "service", "web", "-n", ns, "-o", "jsonpath={.spec.selector}").Replace("{\"app\":\"web\"}", "app=web"));

        Assert.Contains("horizontalpodautoscaler.autoscaling/web autoscaled", _k.Ok("autoscale", "deployment", "web", "--min=2", "--max=5", "--cpu-percent=80", "-n", ns));
        Assert.Equal("5", _k.Ok("get", "hpa", "web", "-n", ns, "-o", "jsonpath={.spec.maxReplicas}"));
    }

    [Fact]
    public void Auth_can_i_and_whoami_answer_for_the_admin_and_for_a_service_account()
    {
        var ns = NewNamespace();
        Assert.Equal("yes", _k.Ok("auth", "can-i", "create", "pods").Trim());
        Assert.Equal("yes", _k.Ok("auth", "can-i", "*", "*").Trim());
        Assert.Contains("system:masters", _k.Ok("auth", "whoami"));

        _k.Ok("create", "serviceaccount", "bot", "-n", ns);
        _k.Ok("create", "role", "pod-reader", "--verb=get,list", "--resource=pods", "-n", ns);
        _k.Ok("create", "rolebinding", "bot-reads", "--role=pod-reader", $"--serviceaccount={ns}:bot", "-n", ns);
        var bot = $"system:serviceaccount:{ns}:bot";
        Assert.Equal("yes", _k.Ok("auth", "can-i", "list", "pods", "-n", ns, "--as", bot).Trim());
        var no = _k.Run("auth", "can-i", "list", "secrets", "-n", ns, "--as", bot);
        Assert.Equal(1, no.ExitCode);
        Assert.Equal("no", no.Stdout.Trim());
        Assert.Equal("no", _k.Run("auth", "can-i", "list", "pods", "-n", "default", "--as", bot).Stdout.Trim());
    }

    [Fact]
    public void Get_with_a_chunk_size_reads_the_list_in_several_requests()
    {
        var ns = NewNamespace();
        for (var i = 0; i < 5; i++)
            _k.Ok("create", "configmap", $"c{i}", "-n", ns);
        var result = _k.Run("get", "configmaps", "-n", ns, "--chunk-size=2", "-v=6");
        Assert.Equal(0, result.ExitCode);
        var requests = result.Stderr.Split('\n').Where(l => l.Contains($"/api/v1/namespaces/{ns}/configmaps?") && l.Contains("limit=2")).ToList();
        Assert.True(requests.Count >= 3, result.ToString());
        Assert.Contains(requests, l => l.Contains("continue="));
        foreach (var name in new[] { "c0", "c1", "c2", "c3", "c4" })
            Assert.Contains(name, result.Stdout);
    }

    [Fact]
    public void Apply_prune_removes_what_left_the_manifests()
    {
        var ns = NewNamespace();
        string Manifest(params string[] names) => string.Join("---\n", names.Select(n => $"""
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: {n}
              namespace: {ns}
              labels: {"{"}app: pruned{"}"}

            """));
        _k.OkWith(Manifest("one", "two"), "apply", "-f", "-");
        var pruned = _k.OkWith(Manifest("one"), "apply", "--prune", "-l", "app=pruned", "-f", "-");
        Assert.Contains("configmap/two pruned", pruned);
        Assert.Contains("one", _k.Ok("get", "configmaps", "-n", ns, "-l", "app=pruned", "-o", "name"));
        Assert.DoesNotContain("two", _k.Ok("get", "configmaps", "-n", ns, "-l", "app=pruned", "-o", "name"));
    }
}

/// <summary>
/// `kubectl drain` of a node whose pod a PodDisruptionBudget protects: refused while evicting it would
/// break the budget, done once another ready pod keeps the budget. The test plays the node's kubelet
/// (as upstream's hollow nodes do): pod status, and finishing the pods drain's evictions mark for deletion.
/// </summary>
public sealed class DrainTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private readonly Kubectl _k = server.Kubectl;

    [Fact]
    public async Task Drain_is_refused_by_a_disruption_budget_then_succeeds_when_the_budget_allows()
    {
        var ns = $"drain-{Guid.NewGuid():N}"[..14];
        _k.Ok("create", "namespace", ns);
        foreach (var node in new[] { "drained", "spare" })
            _k.OkWith($$$"""{"apiVersion":"v1","kind":"Node","metadata":{"name":"{{{node}}}-{{{ns}}}"}}""", "create", "-f", "-");
        var drained = $"drained-{ns}";
        ReadyPod(ns, "guarded-1", drained);
        ReadyPod(ns, "loose", drained, app: "other");
        _k.Ok("create", "poddisruptionbudget", "keep-one", "-n", ns, "--selector=app=guarded", "--min-available=1");

        var refused = _k.Run("drain", drained, "--force", "--ignore-daemonsets", "--timeout=6s");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("Cannot evict pod as it would violate the pod's disruption budget", refused.Stderr);
        Assert.Equal("true", _k.Ok("get", "node", drained, "-o", "jsonpath={.spec.unschedulable}")); // cordoned first
        Assert.Contains("guarded-1", _k.Ok("get", "pods", "-n", ns, "-o", "name"));

        // A second ready pod elsewhere: the budget now allows one disruption.
        ReadyPod(ns, "guarded-2", $"spare-{ns}");
        using var kubelet = new CancellationTokenSource();
        var finishing = FinishDeletedPodsAsync(ns, ["guarded-1", "loose"], kubelet.Token);
        var drainedOk = _k.Run("drain", drained, "--force", "--ignore-daemonsets", "--timeout=60s");
        await kubelet.CancelAsync();
        await finishing;
        Assert.True(drainedOk.ExitCode == 0, drainedOk.ToString());
        Assert.Contains($"node/{drained} drained", drainedOk.Stdout);
        Assert.Equal(["pod/guarded-2"], _k.Ok("get", "pods", "-n", ns, "-o", "name").Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("0", _k.Ok("get", "pdb", "keep-one", "-n", ns, "-o", "jsonpath={.status.disruptionsAllowed}"));
    }

    /// <summary>A pod bound to <paramref name="node"/> whose status says it runs and is ready, as its kubelet would write.</summary>
    private void ReadyPod(string ns, string name, string node, string app = "guarded")
    {
        _k.OkWith($$$"""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"{{{name}}}","namespace":"{{{ns}}}","labels":{"app":"{{{app}}}"}},
             "spec":{"nodeName":"{{{node}}}","containers":[{"name":"c","image":"busybox"}]}}
            """, "create", "-f", "-");
        _k.Ok("patch", "pod", name, "-n", ns, "--subresource=status", "--type=merge", "-p",
            """{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}""");
    }

    /// <summary>The kubelet's part of a graceful deletion: a pod marked for deletion is stopped, then removed for good.</summary>
    private async Task FinishDeletedPodsAsync(string ns, string[] pods, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            foreach (var pod in pods)
            {
                var marked = _k.Run("get", "pod", pod, "-n", ns, "-o", "jsonpath={.metadata.deletionTimestamp}");
                if (marked.ExitCode == 0 && marked.Stdout.Length > 0)
                    _k.Run("delete", "pod", pod, "-n", ns, "--force", "--grace-period=0");
            }
            try { await Task.Delay(200, ct); }
            catch (OperationCanceledException) { return; }
        }
    }
}
