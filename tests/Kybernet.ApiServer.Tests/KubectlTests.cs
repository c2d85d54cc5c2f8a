using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Tests;

/// <summary>The real kubectl 1.32 against the API server: the commands people use every day.</summary>
public sealed class KubectlTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static int _counter;
    private readonly Kubectl _k = server.Kubectl;

    /// <summary>A namespace of the test's own, so tests sharing the server do not see each other.</summary>
    private string NewNamespace()
    {
        var name = $"t{Interlocked.Increment(ref _counter)}-{Guid.NewGuid():N}"[..12];
        _k.OkWith(Manifests.Namespace(name), "create", "-f", "-");
        return name;
    }

    [Fact]
    public void Version_api_resources_and_cluster_info()
    {
        var version = JsonNode.Parse(_k.Ok("version", "-o", "json"))!;
        Assert.Equal("32", version["serverVersion"]!["minor"]!.GetValue<string>());

        var resources = _k.Ok("api-resources");
        Assert.Matches(@"pods\s+po\s+v1\s+true\s+Pod", resources);
        Assert.Matches(@"deployments\s+deploy\s+apps/v1\s+true\s+Deployment", resources);
        Assert.Matches(@"namespaces\s+ns\s+v1\s+false\s+Namespace", resources);

        Assert.Contains("is running at https://127.0.0.1:", _k.Ok("cluster-info"));
        Assert.Contains("kube-system", _k.Ok("get", "namespaces"));
        Assert.Contains("10.96.0.1", _k.Ok("get", "service", "kubernetes"));
    }

    [Fact]
    public void Create_get_in_every_format_describe_and_delete_a_pod()
    {
        var ns = NewNamespace();
        Assert.Contains("pod/web created", _k.OkWith(Manifests.Pod(ns, "web"), "create", "-f", "-"));

        var table = _k.Ok("get", "pods", "-n", ns);
        Assert.Matches(@"NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE", table);
        Assert.Matches(@"web\s+0/1\s+Pending\s+0\s+\d+s", table);
        Assert.Matches(@"IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES", _k.Ok("get", "pod", "web", "-n", ns, "-o", "wide"));
        Assert.Contains("image: nginx:1.27", _k.Ok("get", "pod", "web", "-n", ns, "-o", "yaml"));
        var json = JsonNode.Parse(_k.Ok("get", "pod", "web", "-n", ns, "-o", "json"))!;
        Assert.Equal("Always", json["spec"]!["restartPolicy"]!.GetValue<string>()); // defaulted by the server
        Assert.Equal("TCP", json["spec"]!["containers"]![0]!["ports"]![0]!["protocol"]!.GetValue<string>());
        Assert.Equal("nginx:1.27", _k.Ok("get", "pod", "web", "-n", ns, "-o", "jsonpath={.spec.containers[0].image}"));

        var described = _k.Ok("describe", "pod", "web", "-n", ns);
        Assert.Contains("Name:", described);
        Assert.Contains("nginx:1.27", described);

        Assert.Contains("pod \"web\" deleted", _k.Ok("delete", "pod", "web", "-n", ns));
        var missing = _k.Run("get", "pod", "web", "-n", ns);
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("Error from server (NotFound): pods \"web\" not found", missing.Stderr);
    }

    [Fact]
    public void Wrong_input_gets_kubectls_usual_errors()
    {
        var ns = NewNamespace();
        _k.OkWith(Manifests.Pod(ns, "web"), "create", "-f", "-");

        var twice = _k.RunWith(Manifests.Pod(ns, "web"), "create", "-f", "-");
        Assert.Contains("Error from server (AlreadyExists): error when creating \"STDIN\": pods \"web\" already exists", twice.Stderr);

        var invalid = _k.RunWith($$$"""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"bad","namespace":"{{{ns}}}"},"spec":{"containers":[]}}""", "create", "-f", "-");
        // kubectl words 422s its own way: The Kind "name" is invalid: field: problem.
        Assert.Contains("The Pod \"bad\" is invalid: spec.containers: Required value", invalid.Stderr);

        var unknown = _k.RunWith($$$"""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"typo","namespace":"{{{ns}}}"},"spec":{"containers":[{"name":"a","imag":"x"}]}}""", "create", "-f", "-");
        Assert.Contains("Error from server (BadRequest)", unknown.Stderr);
        Assert.Contains("unknown field \"spec.containers[0].imag\"", unknown.Stderr);

        var noNamespace = _k.RunWith(Manifests.Pod("no-such-ns", "web"), "create", "-f", "-");
        Assert.Contains("Error from server (NotFound): error when creating \"STDIN\": namespaces \"no-such-ns\" not found", noNamespace.Stderr);

        // replace with the resourceVersion of an older copy: the object was modified since.
        var stale = JsonNode.Parse(_k.Ok("get", "pod", "web", "-n", ns, "-o", "json"))!;
        _k.Ok("label", "pod", "web", "-n", ns, "touched=yes");
        var conflict = _k.RunWith(stale.ToJsonString(), "replace", "-f", "-");
        Assert.Contains("Error from server (Conflict)", conflict.Stderr);
        Assert.Contains("the object has been modified; please apply your changes to the latest version and try again", conflict.Stderr);
    }

    [Fact]
    public void Apply_creates_then_patches_replicas_image_and_labels()
    {
        var ns = NewNamespace();
        Assert.Contains("deployment.apps/web created", _k.OkWith(Manifests.Deployment(ns, "web"), "apply", "-f", "-"));
        Assert.Contains("unchanged", _k.OkWith(Manifests.Deployment(ns, "web"), "apply", "-f", "-"));

        Assert.Contains("deployment.apps/web configured",
            _k.OkWith(Manifests.Deployment(ns, "web", replicas: 3, image: "nginx:1.28", tier: "edge"), "apply", "-f", "-"));
        var deployment = JsonNode.Parse(_k.Ok("get", "deployment", "web", "-n", ns, "-o", "json"))!;
        Assert.Equal(3, deployment["spec"]!["replicas"]!.GetValue<int>());
        Assert.Equal("nginx:1.28", deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!.GetValue<string>());
        Assert.Equal("edge", deployment["metadata"]!["labels"]!["tier"]!.GetValue<string>());
        Assert.Equal(2, deployment["metadata"]!["generation"]!.GetValue<int>());
        Assert.Equal("RollingUpdate", deployment["spec"]!["strategy"]!["type"]!.GetValue<string>());

        Assert.Contains("serverside-applied", _k.OkWith(Manifests.Deployment(ns, "web", replicas: 4, image: "nginx:1.28", tier: "edge"), "apply", "--server-side", "-f", "-"));
        Assert.Equal("4", _k.Ok("get", "deployment", "web", "-n", ns, "-o", "jsonpath={.spec.replicas}"));
        Assert.Contains("serverside-applied", _k.OkWith(Manifests.Deployment(ns, "fresh"), "apply", "--server-side", "-f", "-"));
    }

    [Fact]
    public void Diff_shows_what_apply_would_change_and_stores_nothing()
    {
        var ns = NewNamespace();
        _k.OkWith(Manifests.Deployment(ns, "web"), "apply", "-f", "-");
        var diff = _k.RunWith(Manifests.Deployment(ns, "web", replicas: 7), "diff", "-f", "-");
        Assert.Equal(1, diff.ExitCode); // 1: differences found
        Assert.Contains("replicas: 7", diff.Stdout);
        Assert.Equal("2", _k.Ok("get", "deployment", "web", "-n", ns, "-o", "jsonpath={.spec.replicas}"));
        Assert.Equal(0, _k.RunWith(Manifests.Deployment(ns, "web"), "diff", "-f", "-").ExitCode);
    }

    [Fact]
    public void Replace_label_selectors_show_labels_and_all_namespaces()
    {
        var ns = NewNamespace();
        _k.OkWith(Manifests.Pod(ns, "a", labels: "app: web"), "create", "-f", "-");
        _k.OkWith(Manifests.Pod(ns, "b", labels: "app: db"), "create", "-f", "-");
        Assert.Contains("pod/a replaced", _k.OkWith(Manifests.Pod(ns, "a", image: "nginx:1.28", labels: "app: web"), "replace", "-f", "-"));
        Assert.Equal("nginx:1.28", _k.Ok("get", "pod", "a", "-n", ns, "-o", "jsonpath={.spec.containers[0].image}"));

        _k.Ok("label", "pod", "a", "-n", ns, "tier=frontend");
        var selected = _k.Ok("get", "pods", "-n", ns, "-l", "tier=frontend", "-o", "name");
        Assert.Equal("pod/a", selected.Trim());
        Assert.Equal("pod/b", _k.Ok("get", "pods", "-n", ns, "-l", "app in (db,cache)", "-o", "name").Trim());
        Assert.Equal("pod/b", _k.Ok("get", "pods", "-n", ns, "-l", "!tier", "-o", "name").Trim());
        Assert.Contains("app=web,tier=frontend", _k.Ok("get", "pods", "-n", ns, "--show-labels"));
        _k.Ok("label", "pod", "a", "-n", ns, "tier-");
        Assert.DoesNotContain("tier", _k.Ok("get", "pod", "a", "-n", ns, "--show-labels"));

        var all = _k.Ok("get", "pods", "-A");
        Assert.Matches(@"NAMESPACE\s+NAME\s+READY", all);
        Assert.Matches($@"{ns}\s+a\s+", all);
        Assert.Equal("pod/a", _k.Ok("get", "pods", "-n", ns, "--field-selector", "metadata.name=a", "-o", "name").Trim());
    }

    [Fact]
    public void Scale_a_deployment()
    {
        var ns = NewNamespace();
        _k.OkWith(Manifests.Deployment(ns, "web"), "create", "-f", "-");
        Assert.Contains("deployment.apps/web scaled", _k.Ok("scale", "deployment", "web", "-n", ns, "--replicas=5"));
        Assert.Equal("5", _k.Ok("get", "deployment", "web", "-n", ns, "-o", "jsonpath={.spec.replicas}"));
        // The fixture's deployment controller makes the ReplicaSet (UP-TO-DATE follows its pods as they are made); with no
        // kubelet nothing becomes ready or available.
        Assert.Matches(@"web\s+0/5\s+[0-5]\s+0", _k.Ok("get", "deployment", "web", "-n", ns));
    }

    [Fact]
    public void Delete_by_name_by_label_and_by_file()
    {
        var ns = NewNamespace();
        _k.OkWith(Manifests.Pod(ns, "a", labels: "app: web"), "create", "-f", "-");
        _k.OkWith(Manifests.Pod(ns, "b", labels: "app: web"), "create", "-f", "-");
        _k.OkWith(Manifests.ConfigMap(ns, "settings"), "create", "-f", "-");

        var byLabel = _k.Ok("delete", "pods", "-n", ns, "-l", "app=web");
        Assert.Contains("pod \"a\" deleted", byLabel);
        Assert.Contains("pod \"b\" deleted", byLabel);
        Assert.Contains("configmap \"settings\" deleted", _k.OkWith(Manifests.ConfigMap(ns, "settings"), "delete", "-f", "-"));
        Assert.Contains("No resources found", _k.Run("get", "pods,configmaps", "-n", ns).Stderr);
    }

    [Fact]
    public void Watch_sees_objects_as_they_come_and_go()
    {
        var ns = NewNamespace();
        using var watch = _k.Start("get", "pods", "-n", ns, "-w", "--output-watch-events");
        try
        {
            _k.OkWith(Manifests.Pod(ns, "watched"), "create", "-f", "-");
            Assert.Matches(@"ADDED\s+watched", ReadUntil(watch, "watched"));
            _k.Ok("label", "pod", "watched", "-n", ns, "x=y");
            Assert.Matches(@"MODIFIED\s+watched", ReadUntil(watch, "MODIFIED"));
            _k.Ok("delete", "pod", "watched", "-n", ns);
            Assert.Matches(@"DELETED\s+watched", ReadUntil(watch, "DELETED"));
        }
        finally
        {
            watch.Kill();
            watch.WaitForExit();
        }
    }

    [Fact]
    public void Describe_every_kind_and_get_events()
    {
        var ns = NewNamespace();
        _k.OkWith(Manifests.Deployment(ns, "web"), "create", "-f", "-");
        _k.OkWith(Manifests.Service(ns, "web"), "create", "-f", "-");
        _k.OkWith(Manifests.ConfigMap(ns, "settings"), "create", "-f", "-");
        _k.OkWith(Manifests.Pod(ns, "web-1"), "create", "-f", "-");
        _k.OkWith($$$"""{"apiVersion":"v1","kind":"Secret","metadata":{"name":"token","namespace":"{{{ns}}}"},"stringData":{"key":"value"}}""", "create", "-f", "-");
        var uid = _k.Ok("get", "pod", "web-1", "-n", ns, "-o", "jsonpath={.metadata.uid}");
        _k.OkWith($$$"""
            {"apiVersion":"v1","kind":"Event","metadata":{"name":"web-1.started","namespace":"{{{ns}}}"},
             "involvedObject":{"kind":"Pod","name":"web-1","namespace":"{{{ns}}}","uid":"{{{uid}}}"},"reason":"Started","message":"Started container web","type":"Normal"}
            """, "create", "-f", "-");

        Assert.Contains("StrategyType:", _k.Ok("describe", "deployment", "web", "-n", ns));
        var service = _k.Ok("describe", "service", "web", "-n", ns);
        Assert.Contains("TargetPort:", service);
        Assert.Contains("8080/TCP", service);
        Assert.Contains("Data", _k.Ok("describe", "configmap", "settings", "-n", ns));
        var secret = _k.Ok("describe", "secret", "token", "-n", ns);
        Assert.Contains("Type:  Opaque", secret);
        Assert.Contains("key:  5 bytes", secret); // stringData was folded into data
        Assert.Equal("dmFsdWU=", _k.Ok("get", "secret", "token", "-n", ns, "-o", "jsonpath={.data.key}"));
        Assert.Contains("Status:", _k.Ok("describe", "namespace", ns));
        Assert.Contains("Started container web", _k.Ok("describe", "pod", "web-1", "-n", ns));

        var events = _k.Ok("get", "events", "-n", ns);
        Assert.Matches(@"LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE", events);
        Assert.Matches(@"Normal\s+Started\s+pod/web-1\s+Started container web", events);
    }

    [Fact]
    public void Deleting_a_namespace_removes_what_is_in_it()
    {
        var ns = NewNamespace();
        _k.OkWith(Manifests.Pod(ns, "a"), "create", "-f", "-");
        _k.OkWith(Manifests.ConfigMap(ns, "c"), "create", "-f", "-");

        Assert.Contains($"namespace \"{ns}\" deleted", _k.Ok("delete", "namespace", ns, "--timeout=30s"));
        Assert.Contains("NotFound", _k.Run("get", "namespace", ns).Stderr);
        Assert.Contains("No resources found", _k.Run("get", "pods,configmaps", "-n", ns).Stderr);
    }

    private static string ReadUntil(System.Diagnostics.Process process, string text)
    {
        var read = new System.Text.StringBuilder();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var line = process.StandardOutput.ReadLineAsync().WaitAsync(deadline - DateTime.UtcNow).GetAwaiter().GetResult();
            if (line is null) break;
            read.AppendLine(line);
            if (line.Contains(text, StringComparison.Ordinal)) return line;
        }
        throw new Xunit.Sdk.XunitException($"kubectl -w did not print \"{text}\"; it printed:\n{read}\n{process.StandardError.ReadToEnd()}");
    }
}
