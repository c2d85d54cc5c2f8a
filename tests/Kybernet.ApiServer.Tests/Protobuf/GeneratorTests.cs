using System.Net.Http.Headers;

namespace Kybernet.ApiServer.Tests.Protobuf;

/// <summary>
/// kubectl's generators (`kubectl create deployment|service|serviceaccount|namespace|configmap|secret`,
/// `run`, `expose`) send their objects in Kubernetes' protobuf; the server decodes them to what the
/// same object sent as JSON is.
/// </summary>
public sealed class GeneratorTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private readonly Kubectl _k = server.Kubectl;

    [Fact]
    public void Namespace_configmap_and_secret_generators_work()
    {
        Assert.Contains("namespace/gen created", _k.Ok("create", "namespace", "gen"));
        Assert.Contains("Active", _k.Ok("get", "namespace", "gen"));

        Assert.Contains("configmap/settings created", _k.Ok("create", "configmap", "settings", "-n", "gen", "--from-literal=mode=fast", "--from-literal=level=3"));
        Assert.Equal("fast", _k.Ok("get", "configmap", "settings", "-n", "gen", "-o", "jsonpath={.data.mode}"));

        Assert.Contains("secret/token created", _k.Ok("create", "secret", "generic", "token", "-n", "gen", "--from-literal=key=value"));
        Assert.Equal("dmFsdWU=", _k.Ok("get", "secret", "token", "-n", "gen", "-o", "jsonpath={.data.key}"));
        Assert.Equal("Opaque", _k.Ok("get", "secret", "token", "-n", "gen", "-o", "jsonpath={.type}"));

        var twice = _k.Run("create", "configmap", "settings", "-n", "gen");
        Assert.Contains("configmaps \"settings\" already exists", twice.Stderr); // generators word it "failed to create configmap: ..."
    }

    [Fact]
    public void Create_deployment_makes_the_deployment_asked_for()
    {
        _k.Ok("create", "namespace", "gd");
        Assert.Contains("deployment.apps/web created", _k.Ok("create", "deployment", "web", "-n", "gd", "--image=nginx", "--replicas=2", "--port=80"));
        Assert.Equal("2", _k.Ok("get", "deployment", "web", "-n", "gd", "-o", "jsonpath={.spec.replicas}"));
        Assert.Equal("nginx", _k.Ok("get", "deployment", "web", "-n", "gd", "-o", "jsonpath={.spec.template.spec.containers[0].image}"));
        Assert.Equal("nginx", _k.Ok("get", "deployment", "web", "-n", "gd", "-o", "jsonpath={.spec.template.spec.containers[0].name}"));
        Assert.Equal("80", _k.Ok("get", "deployment", "web", "-n", "gd", "-o", "jsonpath={.spec.template.spec.containers[0].ports[0].containerPort}"));
        Assert.Equal("web", _k.Ok("get", "deployment", "web", "-n", "gd", "-o", "jsonpath={.spec.selector.matchLabels.app}"));
        Assert.Equal("web", _k.Ok("get", "deployment", "web", "-n", "gd", "-o", "jsonpath={.spec.template.metadata.labels.app}"));
        // What JSON would not carry is not made up: no hostPort 0, no empty protocol (the server's default TCP).
        Assert.Equal("TCP", _k.Ok("get", "deployment", "web", "-n", "gd", "-o", "jsonpath={.spec.template.spec.containers[0].ports[0].protocol}"));
        Assert.DoesNotContain("hostPort", _k.Ok("get", "deployment", "web", "-n", "gd", "-o", "json"));

        // A zero that is a choice (a pointer field) survives: replicas 0 is not "unset" (which defaults to 1).
        _k.Ok("create", "deployment", "idle", "-n", "gd", "--image=nginx", "--replicas=0");
        Assert.Equal("0", _k.Ok("get", "deployment", "idle", "-n", "gd", "-o", "jsonpath={.spec.replicas}"));

        Assert.Contains("service/web exposed", _k.Ok("expose", "deployment", "web", "-n", "gd", "--port=8080", "--target-port=80"));
        Assert.Equal("web", _k.Ok("get", "service", "web", "-n", "gd", "-o", "jsonpath={.spec.selector.app}"));
        Assert.Equal("8080 80", _k.Ok("get", "service", "web", "-n", "gd", "-o", "jsonpath={.spec.ports[0].port} {.spec.ports[0].targetPort}"));

        Assert.Contains("deployment.apps \"idle\" deleted", _k.Ok("delete", "deployment", "idle", "-n", "gd"));
        Assert.Contains("NotFound", _k.Run("get", "deployment", "idle", "-n", "gd").Stderr);
    }

    [Theory]
    [InlineData("clusterip", "ClusterIP")]
    [InlineData("nodeport", "NodePort")]
    [InlineData("loadbalancer", "LoadBalancer")]
    public void Create_service_makes_a_service_of_its_type(string generator, string type)
    {
        var ns = "gs-" + generator;
        _k.Ok("create", "namespace", ns);
        Assert.Contains($"service/{generator} created", _k.Ok("create", "service", generator, generator, "-n", ns, "--tcp=80:8080"));
        Assert.Equal(type, _k.Ok("get", "service", generator, "-n", ns, "-o", "jsonpath={.spec.type}"));
        Assert.Equal("80 8080 TCP", _k.Ok("get", "service", generator, "-n", ns, "-o", "jsonpath={.spec.ports[0].port} {.spec.ports[0].targetPort} {.spec.ports[0].protocol}"));
        Assert.Equal(generator, _k.Ok("get", "service", generator, "-n", ns, "-o", "jsonpath={.spec.selector.app}"));
        Assert.NotEmpty(_k.Ok("get", "service", generator, "-n", ns, "-o", "jsonpath={.spec.clusterIP}"));
        if (type != "ClusterIP")
            Assert.InRange(int.Parse(_k.Ok("get", "service", generator, "-n", ns, "-o", "jsonpath={.spec.ports[0].nodePort}")), 30000, 32767);
    }

    [Fact]
    public void Create_serviceaccount_and_run_work()
    {
        _k.Ok("create", "namespace", "gr");
        Assert.Contains("serviceaccount/robot created", _k.Ok("create", "serviceaccount", "robot", "-n", "gr"));
        Assert.Equal("robot", _k.Ok("get", "serviceaccount", "robot", "-n", "gr", "-o", "jsonpath={.metadata.name}"));

        Assert.Contains("pod/box created", _k.Ok("run", "box", "-n", "gr", "--image=busybox", "--restart=Never", "--labels=tier=x", "--env=A=1", "--", "sleep", "3600"));
        Assert.Equal("busybox", _k.Ok("get", "pod", "box", "-n", "gr", "-o", "jsonpath={.spec.containers[0].image}"));
        Assert.Equal("sleep 3600", _k.Ok("get", "pod", "box", "-n", "gr", "-o", "jsonpath={.spec.containers[0].args[0]} {.spec.containers[0].args[1]}"));
        Assert.Equal("Never", _k.Ok("get", "pod", "box", "-n", "gr", "-o", "jsonpath={.spec.restartPolicy}"));
        Assert.Equal("A=1", _k.Ok("get", "pod", "box", "-n", "gr", "-o", "jsonpath={.spec.containers[0].env[0].name}={.spec.containers[0].env[0].value}"));
        Assert.Equal("x", _k.Ok("get", "pod", "box", "-n", "gr", "-o", "jsonpath={.metadata.labels.tier}"));
        Assert.Contains("Image:", _k.Ok("describe", "pod", "box", "-n", "gr"));
    }

    [Fact]
    public async Task A_kind_the_protobuf_schema_does_not_describe_gets_a_clear_415()
    {
        using var api = new ApiClient(server.DataDirectory, server.Server.Url);
        // A StorageClass (storage.k8s.io/v1) named "fast" in Kubernetes' envelope: a kind the schema has no message for.
        static byte[] Field(int number, byte[] value) => [(byte)(number << 3 | 2), (byte)value.Length, .. value];
        byte[] typeMeta = [.. Field(1, "storage.k8s.io/v1"u8.ToArray()), .. Field(2, "StorageClass"u8.ToArray())];
        byte[] raw = Field(1, Field(1, "fast"u8.ToArray()));
        byte[] body = [.. "k8s\0"u8, .. Field(1, typeMeta), .. Field(2, raw)];
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.kubernetes.protobuf");
        using var response = await api.Http.PostAsync("/api/v1/namespaces/default/configmaps", content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(415, (int)response.StatusCode);
        Assert.Contains("\"reason\":\"UnsupportedMediaType\"", text);
        Assert.True(text.Contains("protobuf is not understood for storage.k8s.io/v1 StorageClass"), text);
    }
}
