using System.Text.Json.Nodes;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Registry;
using static Kybernet.ApiServer.Tests.Registry.StrategyAssert;

namespace Kybernet.ApiServer.Tests.Registry;

public sealed class DeploymentStrategyTests
{
    private readonly DeploymentStrategy _deployments = new();

    internal static JsonObject Workload(string kind, string selector = """{"matchLabels":{"app":"web"}}""", string labels = """{"app":"web"}""", string extra = "") =>
        Obj($$"""{"apiVersion":"apps/v1","kind":"{{kind}}","metadata":{"name":"web","namespace":"default"},"spec":{"selector":{{selector}}{{extra}},"template":{"metadata":{"labels":"""
            + labels + """},"spec":{"containers":[{"name":"web","image":"nginx"}]}}}}""");

    [Fact]
    public void Defaults_one_replica_a_rolling_update_and_the_template_as_a_pod_spec()
    {
        var d = Workload("Deployment");
        _deployments.Default(d);
        Assert.Equal(1, d["spec"]!["replicas"]!.GetValue<int>());
        Assert.Equal("RollingUpdate", Str(d["spec"]!["strategy"]!["type"]));
        Assert.Equal("25%", Str(d["spec"]!["strategy"]!["rollingUpdate"]!["maxSurge"]));
        Assert.Equal(10, d["spec"]!["revisionHistoryLimit"]!.GetValue<int>());
        Assert.Equal(600, d["spec"]!["progressDeadlineSeconds"]!.GetValue<int>());
        Assert.Equal("Always", Str(d["spec"]!["template"]!["spec"]!["restartPolicy"]));
        Assert.Equal("Always", Str(d["spec"]!["template"]!["spec"]!["containers"]![0]!["imagePullPolicy"]));

        var empty = Workload("Deployment", extra: ""","strategy":{}""");
        _deployments.Default(empty);
        Assert.Equal("RollingUpdate", Str(empty["spec"]!["strategy"]!["type"]));
        Assert.Equal("25%", Str(empty["spec"]!["strategy"]!["rollingUpdate"]!["maxUnavailable"]));
        Assert.Equal("25%", Str(empty["spec"]!["strategy"]!["rollingUpdate"]!["maxSurge"]));
        var halfSet = Workload("Deployment", extra: ""","strategy":{"rollingUpdate":{"maxSurge":1}}""");
        _deployments.Default(halfSet);
        Assert.Equal(1, halfSet["spec"]!["strategy"]!["rollingUpdate"]!["maxSurge"]!.GetValue<int>());
        Assert.Equal("25%", Str(halfSet["spec"]!["strategy"]!["rollingUpdate"]!["maxUnavailable"]));

        var recreate = Workload("Deployment", extra: ""","replicas":0,"strategy":{"type":"Recreate"}""");
        _deployments.Default(recreate);
        Assert.Equal(0, recreate["spec"]!["replicas"]!.GetValue<int>());
        Assert.Equal("Recreate", Str(recreate["spec"]!["strategy"]!["type"]));
    }

    [Fact]
    public void The_selector_must_exist_select_something_and_select_the_template()
    {
        NoCauses(_deployments.ValidateCreate(Workload("Deployment")));
        HasCause(_deployments.ValidateCreate(Workload("Deployment", selector: "null")), "FieldValueRequired", "spec.selector");
        HasCause(_deployments.ValidateCreate(Workload("Deployment", selector: "{}")), "FieldValueInvalid", "spec.selector");
        HasCause(_deployments.ValidateCreate(Workload("Deployment", labels: """{"app":"db"}""")), "FieldValueInvalid", "spec.template.metadata.labels");
        HasCause(_deployments.ValidateCreate(Workload("Deployment", extra: ""","replicas":-1""")), "FieldValueInvalid", "spec.replicas");
        var noTemplate = Obj("""{"metadata":{"name":"web"},"spec":{"selector":{"matchLabels":{"app":"web"}}}}""");
        HasCause(_deployments.ValidateCreate(noTemplate), "FieldValueRequired", "spec.template");
        var badPod = Workload("Deployment");
        badPod["spec"]!["template"]!["spec"]!["containers"] = new JsonArray();
        HasCause(_deployments.ValidateCreate(badPod), "FieldValueRequired", "spec.template.spec.containers");
    }

    [Fact]
    public void The_selector_is_immutable_and_the_status_is_the_controllers()
    {
        var current = Workload("Deployment");
        current["status"] = Obj("""{"replicas":2}""");
        var reselected = Workload("Deployment", selector: """{"matchLabels":{"app":"web","tier":"a"}}""", labels: """{"app":"web","tier":"a"}""");
        HasCause(_deployments.ValidateUpdate(reselected, current), "FieldValueInvalid", "spec.selector");
        NoCauses(_deployments.ValidateUpdate(Workload("Deployment", extra: ""","replicas":5"""), current));

        var next = Workload("Deployment");
        next["status"] = Obj("""{"replicas":9}""");
        _deployments.PrepareForUpdate(next, current);
        Assert.Equal(2, next["status"]!["replicas"]!.GetValue<int>());

        var created = Workload("Deployment");
        created["status"] = Obj("""{"replicas":9}""");
        _deployments.PrepareForCreate(created);
        Assert.Equal("{}", created["status"]!.ToJsonString());
    }

    [Fact]
    public void Scale_shows_replicas_and_selector_and_a_written_scale_changes_only_replicas()
    {
        Assert.Equal(["status", "scale"], _deployments.Subresources.Select(s => s.Name));
        var scale = _deployments.FindView("scale")!;
        Assert.Equal(new GroupVersionKind("autoscaling", "v1", "Scale"), scale.ResponseKind);

        var d = Workload("Deployment", extra: ""","replicas":2""");
        d["status"] = Obj("""{"replicas":1}""");
        var shown = scale.Show(d);
        Assert.Equal("Scale", Str(shown["kind"]));
        Assert.Equal(2, shown["spec"]!["replicas"]!.GetValue<int>());
        Assert.Equal(1, shown["status"]!["replicas"]!.GetValue<int>());
        Assert.Equal("app=web", Str(shown["status"]!["selector"]));

        shown["spec"]!["replicas"] = 7;
        shown["metadata"]!["labels"] = new JsonObject { ["ignored"] = "yes" };
        var stored = scale.ApplyTo(d, shown);
        Assert.Equal(7, stored["spec"]!["replicas"]!.GetValue<int>());
        Assert.Null(stored["metadata"]!["labels"]);
        Assert.Equal(2, d["spec"]!["replicas"]!.GetValue<int>()); // the stored object is not changed in place

        shown["spec"]!["replicas"] = -1;
        Assert.Equal(422, Assert.Throws<ApiException>(() => scale.ApplyTo(d, shown)).Code);
        shown["spec"]!.AsObject().Remove("replicas");
        Assert.Equal(422, Assert.Throws<ApiException>(() => scale.ApplyTo(d, shown)).Code);
    }
}
