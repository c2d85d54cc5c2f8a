using k8s.Models;
using Kybernet.Kubelet.Pods;
using Kybernet.Kubelet.Pods.Env;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Kubelet.Tests.Pods.Env;

public sealed class ContainerEnvironmentTests
{
    private static readonly PodRuntimeFacts Facts = new(["192.168.50.2", "fd50::2"], ["10.244.1.7", "fd44::7"],
        new Dictionary<string, ResourceQuantity> { ["cpu"] = new("4"), ["memory"] = new("8Gi"), ["ephemeral-storage"] = new("100Gi") });

    private static FakePodObjects Objects() => new FakePodObjects()
        .WithService("default", "kubernetes", "10.96.0.1", new V1ServicePort { Name = "https", Port = 443 })
        .WithService("shop", "cart", "10.96.0.9", new V1ServicePort { Port = 8080 })
        .WithConfigMap("shop", "settings", new() { ["MODE"] = "fast", ["1BAD"] = "x", ["with space"] = "y", ["LEVEL"] = "3" })
        .WithSecret("shop", "creds", new() { ["PASSWORD"] = "s3cret", ["token"] = "t0k" });

    private static ContainerEnvironmentResult Build(V1Container container, FakePodObjects? objects = null, Action<V1Pod>? edit = null)
    {
        var pod = TestPods.Pod("web", "shop", container);
        pod.Metadata.Labels = new Dictionary<string, string> { ["app"] = "web", ["tier"] = "front" };
        pod.Metadata.Annotations = new Dictionary<string, string> { ["note"] = "say \"hi\"" };
        edit?.Invoke(pod);
        return new ContainerEnvironment(objects ?? Objects(), NullLogger.Instance).Build(pod, container, Facts);
    }

    private static V1EnvVar Field(string name, string path) => new() { Name = name, ValueFrom = new() { FieldRef = new() { FieldPath = path } } };

    [Fact]
    public void EnvFrom_with_prefix_skips_invalid_keys_and_warns_in_upstreams_words()
    {
        var result = Build(new V1Container
        {
            Name = "app",
            EnvFrom = [new() { ConfigMapRef = new() { Name = "settings" } }, new() { SecretRef = new() { Name = "creds" }, Prefix = "DB_" }],
        });
        var env = result.ToMap();
        Assert.Equal("fast", env["MODE"]);
        Assert.Equal("3", env["LEVEL"]);
        Assert.Equal("s3cret", env["DB_PASSWORD"]);
        Assert.Equal("t0k", env["DB_token"]);
        Assert.DoesNotContain("1BAD", env.Keys);
        Assert.Equal(["Keys [1BAD, with space] from the EnvFrom configMap shop/settings were skipped since they are considered invalid environment variable names."], result.Warnings);
    }

    [Fact]
    public void Env_values_expand_earlier_variables_and_service_variables_and_escape_dollars()
    {
        var env = Build(new V1Container
        {
            Name = "app",
            EnvFrom = [new() { ConfigMapRef = new() { Name = "settings" } }],
            Env =
            [
                new() { Name = "GREETING", Value = "hello" },
                new() { Name = "MESSAGE", Value = "$(GREETING) $(MODE) via $(CART_SERVICE_HOST):$(CART_SERVICE_PORT) $$(GREETING) $(NOPE)" },
                new() { Name = "LATER", Value = "$(AFTER)" },
                new() { Name = "AFTER", Value = "x" },
                new() { Name = "EMPTY" },
            ],
        }).ToMap();
        Assert.Equal("hello fast via 10.96.0.9:8080 $(GREETING) $(NOPE)", env["MESSAGE"]);
        Assert.Equal("$(AFTER)", env["LATER"]); // only what came before is known
        Assert.Equal("", env["EMPTY"]);
    }

    [Fact]
    public void Field_refs_give_the_pods_fields()
    {
        var env = Build(new V1Container
        {
            Name = "app",
            Env =
            [
                Field("NAME", "metadata.name"), Field("NS", "metadata.namespace"), Field("UID", "metadata.uid"),
                Field("APP", "metadata.labels['app']"), Field("NOTE", "metadata.annotations['note']"), Field("LABELS", "metadata.labels"),
                Field("ANNOTATIONS", "metadata.annotations"), Field("NODE", "spec.nodeName"), Field("SA", "spec.serviceAccountName"),
                Field("HOST_IP", "status.hostIP"), Field("HOST_IPS", "status.hostIPs"), Field("POD_IP", "status.podIP"), Field("POD_IPS", "status.podIPs"),
                Field("ABSENT", "metadata.labels['absent']"),
            ],
        }).ToMap();
        Assert.Equal("web", env["NAME"]);
        Assert.Equal("shop", env["NS"]);
        Assert.Equal("0e7c1a2b-uid-web", env["UID"]);
        Assert.Equal("web", env["APP"]);
        Assert.Equal("say \"hi\"", env["NOTE"]);
        Assert.Equal("app=\"web\"\ntier=\"front\"", env["LABELS"]);
        Assert.Equal("note=\"say \\\"hi\\\"\"", env["ANNOTATIONS"]);
        Assert.Equal("node-1", env["NODE"]);
        Assert.Equal("default", env["SA"]);
        Assert.Equal("192.168.50.2", env["HOST_IP"]);
        Assert.Equal("192.168.50.2,fd50::2", env["HOST_IPS"]);
        Assert.Equal("10.244.1.7", env["POD_IP"]);
        Assert.Equal("10.244.1.7,fd44::7", env["POD_IPS"]);
        Assert.Equal("", env["ABSENT"]);
    }

    [Fact]
    public void Resource_field_refs_divide_round_up_and_default_limits_to_node_allocatable()
    {
        static V1EnvVar Resource(string name, string resource, string? divisor = null) => new()
        {
            Name = name,
            ValueFrom = new() { ResourceFieldRef = new() { Resource = resource, Divisor = divisor is null ? null : new ResourceQuantity(divisor) } },
        };
        var env = Build(new V1Container
        {
            Name = "app",
            Resources = new()
            {
                Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("1500m"), ["memory"] = new("128Mi") },
                Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("250m"), ["memory"] = new("64Mi") },
            },
            Env =
            [
                Resource("CPU_LIMIT", "limits.cpu"), Resource("CPU_LIMIT_M", "limits.cpu", "1m"), Resource("CPU_REQ", "requests.cpu"),
                Resource("CPU_REQ_M", "requests.cpu", "1m"), Resource("MEM_LIMIT", "limits.memory"), Resource("MEM_LIMIT_MI", "limits.memory", "1Mi"),
                Resource("MEM_REQ_MI", "requests.memory", "1Mi"), Resource("EPH_LIMIT_GI", "limits.ephemeral-storage", "1Gi"),
                Resource("EPH_REQ", "requests.ephemeral-storage"),
            ],
        }).ToMap();
        Assert.Equal("2", env["CPU_LIMIT"]);
        Assert.Equal("1500", env["CPU_LIMIT_M"]);
        Assert.Equal("1", env["CPU_REQ"]);
        Assert.Equal("250", env["CPU_REQ_M"]);
        Assert.Equal("134217728", env["MEM_LIMIT"]);
        Assert.Equal("128", env["MEM_LIMIT_MI"]);
        Assert.Equal("64", env["MEM_REQ_MI"]);
        Assert.Equal("100", env["EPH_LIMIT_GI"]); // no limit: the node's allocatable
        Assert.Equal("0", env["EPH_REQ"]);
    }

    [Fact]
    public void Key_refs_read_configmaps_and_secrets_and_skip_optional_missing_ones()
    {
        var env = Build(new V1Container
        {
            Name = "app",
            Env =
            [
                new() { Name = "MODE", ValueFrom = new() { ConfigMapKeyRef = new() { Name = "settings", Key = "MODE" } } },
                new() { Name = "PW", ValueFrom = new() { SecretKeyRef = new() { Name = "creds", Key = "PASSWORD" } } },
                new() { Name = "NO_KEY", ValueFrom = new() { ConfigMapKeyRef = new() { Name = "settings", Key = "nope", Optional = true } } },
                new() { Name = "NO_MAP", ValueFrom = new() { ConfigMapKeyRef = new() { Name = "absent", Key = "k", Optional = true } } },
                new() { Name = "NO_SECRET", ValueFrom = new() { SecretKeyRef = new() { Name = "absent", Key = "k", Optional = true } } },
            ],
            EnvFrom = [new() { ConfigMapRef = new() { Name = "absent", Optional = true } }],
        }).ToMap();
        Assert.Equal("fast", env["MODE"]);
        Assert.Equal("s3cret", env["PW"]);
        Assert.DoesNotContain("NO_KEY", env.Keys);
        Assert.DoesNotContain("NO_MAP", env.Keys);
        Assert.DoesNotContain("NO_SECRET", env.Keys);
    }

    public static TheoryData<V1EnvVar?, V1EnvFromSource?, string> Failures => new()
    {
        { new() { Name = "X", ValueFrom = new() { ConfigMapKeyRef = new() { Name = "absent", Key = "k" } } }, null, "configmap \"absent\" not found" },
        { new() { Name = "X", ValueFrom = new() { ConfigMapKeyRef = new() { Name = "settings", Key = "k" } } }, null, "couldn't find key k in ConfigMap shop/settings" },
        { new() { Name = "X", ValueFrom = new() { SecretKeyRef = new() { Name = "absent", Key = "k" } } }, null, "secret \"absent\" not found" },
        { new() { Name = "X", ValueFrom = new() { SecretKeyRef = new() { Name = "creds", Key = "k" } } }, null, "couldn't find key k in Secret shop/creds" },
        { null, new() { ConfigMapRef = new() { Name = "absent" } }, "configmap \"absent\" not found" },
        { null, new() { SecretRef = new() { Name = "absent" } }, "secret \"absent\" not found" },
        { Field("X", "metadata.generation"), null, "field label not supported: metadata.generation" },
        { Field("X", "metadata.name['x']"), null, "fieldPath \"metadata.name['x']\" does not support subscript" },
        { new() { Name = "X", ValueFrom = new() { ResourceFieldRef = new() { Resource = "limits.gpu" } } }, null, "unsupported container resource : limits.gpu" },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Failures_carry_upstreams_message(V1EnvVar? env, V1EnvFromSource? from, string message)
    {
        var container = new V1Container { Name = "app", Env = env is null ? null : [env], EnvFrom = from is null ? null : [from] };
        var error = Assert.Throws<ContainerConfigException>(() => Build(container));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Own_variables_override_service_variables_which_come_last()
    {
        var result = Build(new V1Container { Name = "app", Env = [new() { Name = "CART_SERVICE_HOST", Value = "mine" }, new() { Name = "FIRST", Value = "1" }] });
        Assert.Equal("CART_SERVICE_HOST", result.Variables[0].Name);
        Assert.Equal("mine", result.Variables[0].Value);
        Assert.Equal("FIRST", result.Variables[1].Name);
        Assert.Single(result.Variables, v => v.Name == "CART_SERVICE_HOST");
        Assert.Contains(result.Variables, v => v.Name == "KUBERNETES_SERVICE_HOST");
    }

    [Fact]
    public void Service_links_disabled_keeps_only_kubernetes()
    {
        var env = Build(new V1Container { Name = "app" }, edit: pod => pod.Spec.EnableServiceLinks = false).ToMap();
        Assert.Contains("KUBERNETES_SERVICE_HOST", env.Keys);
        Assert.DoesNotContain("CART_SERVICE_HOST", env.Keys);
    }
}
