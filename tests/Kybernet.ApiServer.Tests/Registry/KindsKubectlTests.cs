using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Tests.Registry;

/// <summary>The kinds of issue 10 through the real kubectl 1.32: create, get (tables, short names, `all`), defaults, errors, explain, delete.</summary>
public sealed class KindsKubectlTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static int _counter;
    private readonly Kubectl _k = server.Kubectl;

    /// <summary>Waits for a request outside the test methods (the xunit analyzer keeps blocking waits out of them).</summary>
    private static T Sync<T>(Task<T> task) => task.GetAwaiter().GetResult();

    private string NewNamespace()
    {
        var name = $"k{Interlocked.Increment(ref _counter)}-{Guid.NewGuid():N}"[..12];
        _k.OkWith(Manifests.Namespace(name), "create", "-f", "-");
        return name;
    }

    /// <summary>One object of every namespaced kind added, in <paramref name="ns"/>, and cluster-wide ones suffixed by it.</summary>
    private static string AllKinds(string ns) => $$$"""
        apiVersion: batch/v1
        kind: Job
        metadata: {name: pi, namespace: {{{ns}}}}
        spec:
          template:
            spec:
              restartPolicy: Never
              containers: [{name: pi, image: perl}]
        ---
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: tick, namespace: {{{ns}}}}
        spec:
          schedule: "*/5 * * * *"
          jobTemplate:
            spec:
              template:
                spec:
                  restartPolicy: OnFailure
                  containers: [{name: c, image: busybox}]
        ---
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: agent, namespace: {{{ns}}}}
        spec:
          selector: {matchLabels: {app: agent}}
          template:
            metadata: {labels: {app: agent}}
            spec:
              containers: [{name: a, image: busybox}]
        ---
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: db, namespace: {{{ns}}}}
        spec:
          serviceName: db
          selector: {matchLabels: {app: db}}
          template:
            metadata: {labels: {app: db}}
            spec:
              containers: [{name: db, image: postgres}]
        ---
        apiVersion: policy/v1
        kind: PodDisruptionBudget
        metadata: {name: db, namespace: {{{ns}}}}
        spec:
          minAvailable: 1
          selector: {matchLabels: {app: db}}
        ---
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: db, namespace: {{{ns}}}}
        spec:
          scaleTargetRef: {apiVersion: apps/v1, kind: StatefulSet, name: db}
          maxReplicas: 3
        ---
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata: {name: data, namespace: {{{ns}}}}
        spec:
          accessModes: [ReadWriteOnce]
          resources: {requests: {storage: 1Gi}}
        ---
        apiVersion: v1
        kind: PersistentVolume
        metadata: {name: pv-{{{ns}}}}
        spec:
          capacity: {storage: 1Gi}
          accessModes: [ReadWriteOnce]
          hostPath: {path: /tmp/pv}
        ---
        apiVersion: v1
        kind: ResourceQuota
        metadata: {name: q, namespace: {{{ns}}}}
        spec:
          hard: {pods: "10"}
        ---
        apiVersion: v1
        kind: LimitRange
        metadata: {name: l, namespace: {{{ns}}}}
        spec:
          limits: [{type: Container, default: {cpu: 100m}}]
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: web, namespace: {{{ns}}}}
        spec:
          rules:
          - host: a.example
            http:
              paths:
              - path: /
                pathType: Prefix
                backend:
                  service:
                    name: web
                    port: {number: 80}
        ---
        apiVersion: networking.k8s.io/v1
        kind: IngressClass
        metadata: {name: ic-{{{ns}}}}
        spec: {controller: example.com/ingress}
        ---
        apiVersion: scheduling.k8s.io/v1
        kind: PriorityClass
        metadata: {name: pc-{{{ns}}}}
        value: 1000
        """;

    [Fact]
    public void Every_new_kind_is_created_listed_with_upstreams_columns_and_short_names_and_gets_its_defaults()
    {
        var ns = NewNamespace();
        var created = _k.OkWith(AllKinds(ns), "create", "-f", "-");
        foreach (var line in new[] { "job.batch/pi", "cronjob.batch/tick", "daemonset.apps/agent", "statefulset.apps/db", "poddisruptionbudget.policy/db",
            "horizontalpodautoscaler.autoscaling/db", "persistentvolumeclaim/data", $"persistentvolume/pv-{ns}", "resourcequota/q", "limitrange/l",
            "ingress.networking.k8s.io/web", $"ingressclass.networking.k8s.io/ic-{ns}", $"priorityclass.scheduling.k8s.io/pc-{ns}" })
            Assert.Contains($"{line} created", created);

        // `all` covers the workloads and autoscalers, as upstream's categories say.
        var all = _k.Ok("get", "all", "-n", ns);
        foreach (var name in new[] { "job.batch/pi", "cronjob.batch/tick", "daemonset.apps/agent", "statefulset.apps/db", "horizontalpodautoscaler.autoscaling/db" })
            Assert.Contains(name, all);
        Assert.DoesNotContain("poddisruptionbudget", all);

        var tables = _k.Ok("get", "pdb,hpa,pvc,pv,quota,limits,ing,ingressclass,pc,cj,ds,sts,jobs", "-n", ns);
        Assert.Matches(@"NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE", tables);
        Assert.Matches(@"poddisruptionbudget.policy/db\s+1\s+N/A\s+0", tables);
        Assert.Matches(@"NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE", tables);
        Assert.Matches(@"horizontalpodautoscaler.autoscaling/db\s+StatefulSet/db\s+cpu: <unknown>/80%\s+1\s+3\s+0", tables);
        Assert.Matches(@"persistentvolumeclaim/data\s+Pending", tables);
        Assert.Matches($@"persistentvolume/pv-{ns}\s+1Gi\s+RWO\s+Retain\s+Pending", tables);
        Assert.Matches(@"NAME\s+AGE\s+REQUEST\s+LIMIT", tables);
        Assert.Matches(@"NAME\s+CREATED AT", tables);
        Assert.Matches(@"ingress.networking.k8s.io/web\s+<none>\s+a.example\s+80", tables);
        Assert.Matches($@"ingressclass.networking.k8s.io/ic-{ns}\s+example.com/ingress\s+<none>", tables);
        Assert.Matches($@"priorityclass.scheduling.k8s.io/pc-{ns}\s+1000\s+false", tables);
        Assert.Matches(@"cronjob.batch/tick\s+\*/5 \* \* \* \*\s+<none>\s+False\s+0\s+<none>", tables);
        Assert.Matches(@"NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE", tables);
        Assert.Matches(@"statefulset.apps/db\s+0/1", tables);
        Assert.Matches(@"NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE", tables);
        Assert.Matches(@"job.batch/pi\s+Running\s+0/1", tables);

        var job = JsonNode.Parse(_k.Ok("get", "job", "pi", "-n", ns, "-o", "json"))!;
        var uid = job["metadata"]!["uid"]!.GetValue<string>();
        Assert.Equal(6, job["spec"]!["backoffLimit"]!.GetValue<int>());
        Assert.Equal("NonIndexed", job["spec"]!["completionMode"]!.GetValue<string>());
        Assert.Equal(uid, job["spec"]!["selector"]!["matchLabels"]!["batch.kubernetes.io/controller-uid"]!.GetValue<string>());
        Assert.Equal("pi", job["spec"]!["template"]!["metadata"]!["labels"]!["job-name"]!.GetValue<string>());
        Assert.Equal("OrderedReady", _k.Ok("get", "sts", "db", "-n", ns, "-o", "jsonpath={.spec.podManagementPolicy}"));
        Assert.Equal("1", _k.Ok("get", "ds", "agent", "-n", ns, "-o", "jsonpath={.spec.updateStrategy.rollingUpdate.maxUnavailable}"));
        Assert.Equal("Allow", _k.Ok("get", "cj", "tick", "-n", ns, "-o", "jsonpath={.spec.concurrencyPolicy}"));
        Assert.Equal("Filesystem", _k.Ok("get", "pvc", "data", "-n", ns, "-o", "jsonpath={.spec.volumeMode}"));
        Assert.Equal("PreemptLowerPriority", _k.Ok("get", "pc", $"pc-{ns}", "-o", "jsonpath={.preemptionPolicy}"));

        // delete all --all takes the workloads and autoscalers with it (their category), and leaves the rest.
        _k.Ok("delete", "all", "--all", "-n", ns, "--wait=false");
        Assert.DoesNotContain("pi", _k.Ok("get", "jobs,cronjobs,daemonsets,statefulsets,hpa", "-n", ns, "-o", "name"));
        Assert.Contains("poddisruptionbudget.policy/db", _k.Ok("get", "pdb", "-n", ns, "-o", "name"));
        _k.Ok("delete", "pv", $"pv-{ns}");
        _k.Ok("delete", "ingressclass", $"ic-{ns}");
        _k.Ok("delete", "pc", $"pc-{ns}");
    }

    [Fact]
    public void Invalid_objects_of_the_new_kinds_get_upstreams_causes()
    {
        var ns = NewNamespace();
        var always = _k.RunWith($$$"""
            apiVersion: batch/v1
            kind: Job
            metadata: {name: bad, namespace: {{{ns}}}}
            spec:
              template:
                spec:
                  containers: [{name: c, image: busybox}]
            """, "create", "-f", "-");
        Assert.Contains("The Job \"bad\" is invalid", always.Stderr);
        Assert.Contains("spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\"", always.Stderr);

        var schedule = _k.RunWith($$$"""
            apiVersion: batch/v1
            kind: CronJob
            metadata: {name: bad, namespace: {{{ns}}}}
            spec:
              schedule: "every day"
              jobTemplate:
                spec:
                  template:
                    spec:
                      restartPolicy: Never
                      containers: [{name: c, image: busybox}]
            """, "create", "-f", "-");
        Assert.Contains("spec.schedule: Invalid value: \"every day\": expected exactly 5 fields, found 2: [every day]", schedule.Stderr);

        var both = _k.RunWith($$$"""
            apiVersion: policy/v1
            kind: PodDisruptionBudget
            metadata: {name: bad, namespace: {{{ns}}}}
            spec:
              minAvailable: 1
              maxUnavailable: 1
              selector:
                matchLabels: {app: x}
            """, "create", "-f", "-");
        Assert.Contains("minAvailable and maxUnavailable cannot be both set", both.Stderr);

        var high = _k.RunWith("""
            apiVersion: scheduling.k8s.io/v1
            kind: PriorityClass
            metadata: {name: too-high}
            value: 2000000000
            """, "create", "-f", "-");
        Assert.Contains("maximum allowed value of a user defined priority is 1000000000", high.Stderr);

        var unselected = _k.RunWith($$$"""
            apiVersion: apps/v1
            kind: StatefulSet
            metadata: {name: bad, namespace: {{{ns}}}}
            spec:
              selector: {matchLabels: {app: db}}
              template:
                metadata: {labels: {app: other}}
                spec: {containers: [{name: c, image: busybox}]}
            """, "create", "-f", "-");
        Assert.Contains("spec.template.metadata.labels: Invalid value", unselected.Stderr);
        Assert.Contains("`selector` does not match template `labels`", unselected.Stderr);
    }

    [Fact]
    public void Explain_describes_the_new_kinds_from_the_official_models()
    {
        var spec = _k.Ok("explain", "job.spec");
        Assert.Contains("KIND:       Job", spec);
        Assert.Contains("backoffLimit", spec);
        Assert.Contains("completionMode", spec);
        Assert.Contains("schedule", _k.Ok("explain", "cronjob.spec"));
        Assert.Contains("minAvailable", _k.Ok("explain", "pdb.spec"));
        Assert.Contains("preemptionPolicy", _k.Ok("explain", "priorityclass"));
    }

    [Fact]
    public void An_events_k8s_io_event_is_a_core_event_too()
    {
        var ns = NewNamespace();
        _k.OkWith($$$"""
            apiVersion: events.k8s.io/v1
            kind: Event
            metadata: {name: e1, namespace: {{{ns}}}}
            eventTime: "2026-01-01T00:00:00.000000Z"
            reportingController: example.com/ctl
            reportingInstance: i1
            action: Test
            reason: Testing
            type: Normal
            note: hello from events.k8s.io
            regarding: {kind: Pod, name: web, namespace: {{{ns}}}}
            """, "create", "-f", "-");
        var core = JsonNode.Parse(_k.Ok("get", "events", "e1", "-n", ns, "-o", "json"))!;
        Assert.Equal("v1", core["apiVersion"]!.GetValue<string>());
        Assert.Equal("hello from events.k8s.io", core["message"]!.GetValue<string>());
        Assert.Equal("web", core["involvedObject"]!["name"]!.GetValue<string>());
        Assert.Equal("example.com/ctl", core["reportingComponent"]!.GetValue<string>());
        Assert.Matches(@"Normal\s+Testing\s+pod/web\s+hello from events.k8s.io", _k.Ok("get", "events", "-n", ns));
        Assert.Equal("hello from events.k8s.io", _k.Ok("get", "events.events.k8s.io", "e1", "-n", ns, "-o", "jsonpath={.note}"));
    }

    [Fact]
    public void A_pod_on_a_node_is_deleted_gracefully_and_force_deleted_at_once()
    {
        var ns = NewNamespace();
        var node = $"node-{ns}";
        _k.OkWith($$$"""
            apiVersion: v1
            kind: Node
            metadata: {name: {{{node}}}}
            """, "create", "-f", "-");
        _k.OkWith(Manifests.Pod(ns, "bound"), "create", "-f", "-");
        _k.OkWith(Manifests.Pod(ns, "unbound"), "create", "-f", "-");
        _k.OkWith(Manifests.Pod(ns, "orphan"), "create", "-f", "-");
        using var api = new ApiClient(server.DataDirectory, server.Server.Url);
        foreach (var (pod, target) in new[] { ("bound", node), ("orphan", "no-such-node") })
        {
            var (status, body) = Sync(api.Post($"/api/v1/namespaces/{ns}/pods/{pod}/binding",
                JsonNode.Parse($$$"""{"apiVersion":"v1","kind":"Binding","metadata":{"name":"{{{pod}}}"},"target":{"kind":"Node","name":"{{{target}}}"}}""")!));
            Assert.True(status == 201, body.ToJsonString());
        }
        Assert.Equal("default", _k.Ok("get", "pod", "bound", "-n", ns, "-o", "jsonpath={.spec.serviceAccountName}"));

        _k.Ok("delete", "pod", "bound", "-n", ns, "--wait=false");
        var marked = JsonNode.Parse(_k.Ok("get", "pod", "bound", "-n", ns, "-o", "json"))!;
        Assert.NotNull(marked["metadata"]!["deletionTimestamp"]);
        Assert.Equal(30, marked["metadata"]!["deletionGracePeriodSeconds"]!.GetValue<int>());
        Assert.Matches(@"bound\s+0/1\s+Terminating", _k.Ok("get", "pod", "bound", "-n", ns));

        // A second delete may shorten the grace, not lengthen it.
        _k.Ok("delete", "pod", "bound", "-n", ns, "--wait=false", "--grace-period=60");
        Assert.Equal("30", _k.Ok("get", "pod", "bound", "-n", ns, "-o", "jsonpath={.metadata.deletionGracePeriodSeconds}"));
        _k.Ok("delete", "pod", "bound", "-n", ns, "--wait=false", "--grace-period=5");
        Assert.Equal("5", _k.Ok("get", "pod", "bound", "-n", ns, "-o", "jsonpath={.metadata.deletionGracePeriodSeconds}"));

        Assert.Contains("pod \"bound\" force deleted", _k.Ok("delete", "pod", "bound", "-n", ns, "--force", "--grace-period=0"));
        Assert.Contains("NotFound", _k.Run("get", "pod", "bound", "-n", ns).Stderr);

        // Unbound, or bound to a node that does not exist (no kubelet will ever finish it): removed at once.
        _k.Ok("delete", "pod", "unbound", "orphan", "-n", ns, "--wait=false");
        Assert.Equal("", _k.Ok("get", "pods", "-n", ns, "-o", "name"));
        _k.Ok("delete", "node", node);
    }

    [Fact]
    public void Autoscaling_is_served_as_v2_preferred_and_v1_over_one_storage()
    {
        var versions = _k.Ok("api-versions");
        Assert.Contains("autoscaling/v2", versions);
        Assert.Contains("autoscaling/v1", versions);
        Assert.Contains("events.k8s.io/v1", versions);
        Assert.Matches(@"horizontalpodautoscalers\s+hpa\s+autoscaling/v2\s+true\s+HorizontalPodAutoscaler", _k.Ok("api-resources"));
        Assert.Matches(@"bindings\s+v1\s+true\s+Binding", _k.Ok("api-resources"));

        var ns = NewNamespace();
        using var api = new ApiClient(server.DataDirectory, server.Server.Url);
        var (status, created) = Sync(api.Post($"/apis/autoscaling/v1/namespaces/{ns}/horizontalpodautoscalers", JsonNode.Parse(
            """{"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler","metadata":{"name":"web"},"spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},"maxReplicas":4,"targetCPUUtilizationPercentage":50}}""")!));
        Assert.True(status == 201, created.ToJsonString());
        Assert.Equal(1, created["spec"]!["minReplicas"]!.GetValue<int>());
        Assert.Matches(@"web\s+Deployment/web\s+cpu: <unknown>/50%\s+1\s+4", _k.Ok("get", "hpa", "-n", ns));
        Assert.Equal("50", _k.Ok("get", "hpa", "web", "-n", ns, "-o", "jsonpath={.spec.metrics[0].resource.target.averageUtilization}"));
        Assert.Equal("50", _k.Ok("get", "horizontalpodautoscalers.v1.autoscaling", "web", "-n", ns, "-o", "jsonpath={.spec.targetCPUUtilizationPercentage}"));
    }

    [Fact]
    public void A_pods_priority_comes_from_its_priority_class()
    {
        var ns = NewNamespace();
        string Pod(string name, string extra) => $$$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: {{{name}}}, namespace: {{{ns}}}}
            spec:
              {{{extra}}}
              containers: [{name: c, image: busybox}]
            """;
        _k.OkWith(Pod("critical", "priorityClassName: system-node-critical"), "create", "-f", "-");
        Assert.Equal("2000001000 PreemptLowerPriority", _k.Ok("get", "pod", "critical", "-n", ns, "-o", "jsonpath={.spec.priority} {.spec.preemptionPolicy}"));
        _k.OkWith(Pod("plain", "hostname: plain"), "create", "-f", "-");
        Assert.Equal("0", _k.Ok("get", "pod", "plain", "-n", ns, "-o", "jsonpath={.spec.priority}"));

        var unknown = _k.RunWith(Pod("lost", "priorityClassName: no-such-class"), "create", "-f", "-");
        Assert.Contains("Error from server (Forbidden)", unknown.Stderr);
        Assert.Contains("no PriorityClass with name no-such-class was found", unknown.Stderr);
        var own = _k.RunWith(Pod("own", "priority: 5"), "create", "-f", "-");
        Assert.Contains("the integer value of priority (5) must not be provided in pod spec", own.Stderr);
    }
}
