using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Tests;

/// <summary>Defects found in review, each pinned by a test.</summary>
public sealed class RegressionTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private readonly Kubectl _k = server.Kubectl;

    private ApiClient Api() => new(server.DataDirectory, server.Server.Url);

    [Fact]
    public async Task Services_created_in_a_burst_while_the_collector_sweeps_never_share_an_ip_or_port()
    {
        using var api = Api();
        _k.OkWith(Manifests.Namespace("churn"), "create", "-f", "-");
        for (int i = 0; i < 100; i++)
            await api.Post("/api/v1/namespaces/churn/configmaps", new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = $"c{i}" } });
        _k.OkWith(Manifests.Namespace("burst"), "create", "-f", "-");

        var deleting = Task.Run(() => _k.Ok("delete", "namespace", "churn", "--wait=false"));
        var created = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => api.Post("/api/v1/namespaces/burst/services", new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Service",
            ["metadata"] = new JsonObject { ["name"] = $"s{i}" },
            ["spec"] = new JsonObject { ["type"] = "NodePort", ["ports"] = new JsonArray(new JsonObject { ["port"] = 80 }) },
        })));
        await deleting;

        Assert.All(created, c => Assert.True(c.Status == 201, c.Body.ToJsonString()));
        var (_, list) = await api.Get("/api/v1/namespaces/burst/services");
        var ips = list["items"]!.AsArray().Select(s => s!["spec"]!["clusterIP"]!.GetValue<string>()).ToList();
        var ports = list["items"]!.AsArray().Select(s => s!["spec"]!["ports"]![0]!["nodePort"]!.GetValue<int>()).ToList();
        Assert.Equal(40, ips.Distinct().Count());
        Assert.Equal(40, ports.Distinct().Count());
    }

    [Fact]
    public void A_terminating_namespace_waits_for_its_contents_even_when_written_to()
    {
        _k.OkWith(Manifests.Namespace("held-ns"), "create", "-f", "-");
        _k.OkWith("""
            {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"held","namespace":"held-ns","finalizers":["example.com/hold"]}}
            """, "create", "-f", "-");
        _k.Ok("delete", "namespace", "held-ns", "--wait=false");
        _k.Ok("label", "namespace", "held-ns", "touched=yes");
        Assert.Contains("Terminating", _k.Ok("get", "namespace", "held-ns"));
        Assert.Contains("held", _k.Ok("get", "configmaps", "-n", "held-ns"));

        _k.Ok("patch", "configmap", "held", "-n", "held-ns", "--type=merge", "-p", """{"metadata":{"finalizers":null}}""");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (_k.Run("get", "namespace", "held-ns").ExitCode == 0 && DateTime.UtcNow < deadline)
            Thread.Sleep(50);
        Assert.Contains("NotFound", _k.Run("get", "namespace", "held-ns").Stderr);
    }

    [Fact]
    public async Task Writes_across_all_namespaces_are_refused_and_apply_needs_its_namespace()
    {
        using var api = Api();
        Assert.Equal(405, (await api.Delete("/api/v1/pods")).Status);
        var pod = JsonNode.Parse("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x","namespace":"default"},"spec":{"containers":[{"name":"a","image":"b"}]}}""")!;
        Assert.Equal(405, (await api.Post("/api/v1/pods", pod)).Status);

        var apply = _k.RunWith(Manifests.Deployment("no-such-namespace", "web"), "apply", "--server-side", "-f", "-");
        Assert.Contains("namespaces \"no-such-namespace\" not found", apply.Stderr);
    }

    [Fact]
    public void The_default_namespaces_cannot_be_deleted()
    {
        var result = _k.Run("delete", "namespace", "kube-system");
        Assert.Contains("Error from server (Forbidden)", result.Stderr);
        Assert.Contains("kube-system", _k.Ok("get", "namespaces"));
    }

    [Fact]
    public async Task Scale_bumps_the_generation_and_a_put_of_a_scale_works()
    {
        _k.OkWith(Manifests.Namespace("scaling"), "create", "-f", "-");
        _k.OkWith(Manifests.Deployment("scaling", "web"), "create", "-f", "-");
        _k.Ok("scale", "deployment", "web", "-n", "scaling", "--replicas=3");
        Assert.Equal("2", _k.Ok("get", "deployment", "web", "-n", "scaling", "-o", "jsonpath={.metadata.generation}"));

        using var api = Api();
        var path = "/apis/apps/v1/namespaces/scaling/deployments/web/scale";
        // The deployment controller writes the status meanwhile, so the Scale read may be stale (409): read again, as clients do.
        int status;
        JsonObject written;
        var attempts = 0;
        do
        {
            var (_, scale) = await api.Get(path);
            scale["spec"]!["replicas"] = 6;
            (status, written) = await api.Put(path, scale);
        }
        while (status == 409 && ++attempts < 5);
        Assert.Equal(200, status);
        Assert.Equal("Scale", written["kind"]!.GetValue<string>());
        Assert.Equal("6", _k.Ok("get", "deployment", "web", "-n", "scaling", "-o", "jsonpath={.spec.replicas}"));
    }

    [Fact]
    public void Unknown_fields_in_an_apply_are_an_error_and_never_stored()
    {
        _k.OkWith(Manifests.Namespace("typos"), "create", "-f", "-");
        _k.OkWith(Manifests.Deployment("typos", "web"), "apply", "-f", "-");
        var typo = Manifests.Deployment("typos", "web").Replace("      - name: web", "      - name: web\n        imagePullPolicyy: Always");
        var result = _k.RunWith(typo, "apply", "-f", "-");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("unknown field", result.Stderr);
        Assert.DoesNotContain("imagePullPolicyy", _k.Ok("get", "deployment", "web", "-n", "typos", "-o", "json"));
    }
}
